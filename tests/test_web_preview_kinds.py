"""Every kind of post body the t.me/s preview shows is read, on pages shaped like the real ones.

The fixtures (`tests/data/tme/kinds.html`, `pretty_printed.html`) say in a comment where each
message's markup was saved from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import adapters.web_preview as web_preview
from adapters.web_preview import parse_preview
from core.models import PostDraft
from tests.rag_support import captured_logs, events

DATA = Path(__file__).parent / "data" / "tme"


def page_posts(name: str, username: str) -> dict[int, PostDraft]:
    html = (DATA / f"{name}.html").read_text(encoding="utf-8")
    return {post.message_id: post for post in parse_preview(html, username).posts}


@pytest.fixture(scope="module")
def kinds() -> dict[int, PostDraft]:
    return page_posts("kinds", "tchantest")


def test_every_post_with_an_id_and_a_date_is_kept(kinds: dict[int, PostDraft]) -> None:
    """Only the service message ("Channel created") is left out; every body kind is a post."""
    assert sorted(kinds) == [
        5,
        9,
        10,
        11,
        12,
        13,
        17,
        18,
        20,
        79,
        80,
        84,
        89,
        94,
        95,
        96,
        97,
        98,
        99,
    ]


@pytest.mark.parametrize(
    ("message_id", "kinds_", "text"),
    [
        (9, ["sticker"], ""),
        (10, ["location"], ""),
        (11, ["poll"], "Let's do a quick poll quizz mode\nOpt1\nOpt2\nOpt3"),
        (99, ["poll"], "Which mascot should the 2024 meetup badge carry?\nCapybara\nAxolotl"),
        (12, ["audio"], "Povo hebreu\n\nAUD-20130329-WA0000\nportadosfundos"),
        (13, ["voice"], ""),
        (17, ["video_note"], ""),
        (96, ["unsupported"], ""),
        (97, ["document"], "برنامه_مطالعاتی_هفته_سوم_پایه_دهم.pdf"),
        (
            98,
            ["venue"],
            "Mannings Venetian\n"
            "Shop 1032, The Venetian Macao, Estrada da Baía de N. Senhora da Esperança",
        ),
    ],
)
def test_body_kind_and_searchable_text(
    kinds: dict[int, PostDraft], message_id: int, kinds_: list[str], text: str
) -> None:
    """Each body is stored with its media kind and what it shows as text (sizes left out)."""
    post = kinds[message_id]

    assert [medium.kind for medium in post.media] == kinds_
    assert post.text == text


def test_videos_keep_their_thumbnail_not_the_expiring_file(kinds: dict[int, PostDraft]) -> None:
    """Video, "Media is too big" video and round video: the thumbnail is the picture, no .mp4."""
    pictures = {
        message_id: [(m.kind, m.url, m.thumbnail_url) for m in kinds[message_id].media]
        for message_id in (17, 18, 95)
    }

    assert pictures == {
        17: [("video_note", None, "https://cdn1.telegram-cdn.org/file/U9Z-cXN1H4Y4JdCG")],
        18: [("video", None, "https://cdn1.telegram-cdn.org/file/WiZBMqAIrM0sjmV7")],
        95: [("video", None, "https://cdn1.telegram-cdn.org/file/HyfobRUDoAxInyfb")],
    }
    assert (kinds[18].text, kinds[95].text) == ("Video by telegram camera", "some text")


def test_album_mixing_videos_and_photos_is_one_post_in_page_order(
    kinds: dict[int, PostDraft],
) -> None:
    """Album 84–87: video, photo, video, photo, each with its picture, under one album id."""
    post = kinds[84]

    assert [(m.kind, m.url or m.thumbnail_url) for m in post.media] == [
        ("video", "https://cdn1.telegram-cdn.org/file/nWyXAzTHX19MAA8o"),
        ("photo", "https://cdn1.telegram-cdn.org/file/CrsaR3dLCwSaTunI.jpg"),
        ("video", "https://cdn1.telegram-cdn.org/file/jFd1zyUf89Ze7MO2"),
        ("photo", "https://cdn1.telegram-cdn.org/file/QMvda1Z9IET0DA4-.jpg"),
    ]
    assert post.grouped_id == "tchantest:84"
    assert post.text == "Multiple videos and pictures"
    assert not {85, 86, 87} & set(kinds)


def test_reply_forward_and_link_preview(kinds: dict[int, PostDraft]) -> None:
    """A reply keeps only its own words; a forward names its origin; a preview is searchable."""
    assert (kinds[20].text, kinds[20].media) == ("Reply to a video (not recorded in telegram)", [])
    assert (kinds[89].text, kinds[89].forwarded_from) == (";)", "Some user")
    article = (
        "https://agenciabrasil.ebc.com.br/justica/noticia/2022-08/"
        "operacao-guardioes-do-bioma-apreende-239-toneladas-de-minerio"
    )
    assert kinds[94].links == [article]
    assert kinds[94].text == (
        f"{article}\n\n"
        "Agência Brasil\n"
        "Operação Guardiões do Bioma apreende 23,9 toneladas de minério\n"
        "Ação contra o garimpo ilegal em Terra Indígena Yanomami durou um mês e resultou na "
        "prisão de 25 pessoas, apreensão de aeronaves e munições e em 115 autos de infração."
    )


def test_only_the_meta_itself_says_edited(kinds: dict[int, PostDraft]) -> None:
    """Signed and edited: edited; signed: not; a signature containing "edited": not edited."""
    assert kinds[5].edit_date == kinds[5].date
    assert kinds[79].edit_date is None
    assert kinds[80].edit_date is None


def test_page_id_comes_from_data_view() -> None:
    """The channel's Bot API id is read from data-view ("c": -1591537674 → -1001591537674)."""
    html = (DATA / "kinds.html").read_text(encoding="utf-8")

    assert parse_preview(html, "tchantest").channel.telegram_id == -1_001_591_537_674


@pytest.mark.parametrize(
    "view",
    [
        "",
        "not base64!",
        "bm90IGpzb24",  # not json
        "eyJjIjoiMTIzIn0",  # {"c":"123"}
        "eyJjIjotMTAwMDAwMDAwMDAwMDAwMH0",  # {"c":-1000000000000000}
    ],
)
def test_unreadable_data_view_gives_no_id(view: str) -> None:
    """A missing, non-base64, non-JSON, non-integer or out-of-range data-view names no channel."""
    html = (DATA / "kinds.html").read_text(encoding="utf-8")
    html = re.sub(r'data-view="[^"]*"', f'data-view="{view}"', html)

    assert parse_preview(html, "tchantest").channel.telegram_id is None


def test_pretty_printed_page_reads_as_a_browser_shows_it() -> None:
    """Runs of spaces and newlines collapse, <br> stays a newline, &nbsp; is a space."""
    posts = page_posts("pretty_printed", "DEXTNewPairsBot")

    assert posts[208649].text == (
        "New pair at Uniswap v2\n\nYUMMY (YUMMY/WETH)\n\nInitial Liquidity: $3,027\n\n"
        "Token contract:\n0xb86fe55c407d4c07968e999879f78caeb0be53a8\n\nDEXTools:\n"
        "https://www.dextools.io/app/ether/pair-explorer/"
        "0x181cb8501164405bf07b1716334e5295285ed90d\n\n"
        "DEXTools.io\n"
        "DEXTools, the gateway to DEFI, real-time charts, history and all token info from "
        "blockchain."
    )
    assert posts[208652].text == "New pair at Uniswap v3\n\nPEPE2 (PEPE2/WETH)"
    assert posts[208652].views == 37


def test_unknown_element_is_logged_once_per_kind_and_the_post_kept() -> None:
    """An element the parser does not know is logged once (not per post or page); the post stays."""
    html = (DATA / "kinds.html").read_text(encoding="utf-8")
    head, post_96 = html.split('data-post="tchantest/96"')
    hologram = post_96.replace(
        'class="message_media_not_supported_wrap"', 'class="tgme_widget_message_hologram"', 1
    )
    unknown = f'{head}data-post="tchantest/96"{hologram}'
    assert hologram != post_96

    with captured_logs(web_preview) as logs:
        first = {p.message_id: p for p in parse_preview(unknown, "tchantest").posts}
        parse_preview(unknown, "tchantest")

    logged = events(logs, "web_preview.unknown_element")
    assert [(entry["kind"], entry["data_post"]) for entry in logged] == [
        ("tgme_widget_message_hologram", "tchantest/96")
    ]
    assert [m.kind for m in first[96].media] == ["unknown"]
