"""Every kind of post a Telegram Desktop export holds is read, as the web-preview reader reads it.

`tests/data/exports/kinds.json` is a single-chat export of a public channel in the shape
Telegram Desktop's JSON writer gives each message (`export_output_json.cpp`, `SerializeMessage`):
a poll with answers, a location, a live location, a venue, a voice message, a round video, a
sticker, an audio file, a document whose file was not included, a document without a
"file_name", an animation, a video, a photo not included, a photo with a text list, a contact,
a game, an invoice, a forward, an "unsupported" message, a field the parser does not know
(a giveaway), a service message and an empty message.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import core.ingest.exports as exports
from core.ingest.exports import parse_export
from core.models import PostDraft
from tests.cli import run_cli
from tests.rag_support import captured_logs, events

KINDS = Path(__file__).parent / "data" / "exports" / "kinds.json"


@pytest.fixture(scope="module")
def posts() -> dict[int, PostDraft]:
    [chat] = parse_export(KINDS)
    return {post.message_id: post for post in chat.posts}


def _kinds(post: PostDraft) -> list[str]:
    return [medium.kind for medium in post.media]


def test_every_post_with_content_is_kept_and_the_rest_counted() -> None:
    """Posts of every kind are kept; the service, unsupported and empty messages are skipped."""
    [chat] = parse_export(KINDS)
    assert [post.message_id for post in chat.posts] == [*range(101, 119), 120]
    assert chat.skipped == 3 and chat.rejected == []


def test_poll_question_and_answers_are_searchable(posts: dict[int, PostDraft]) -> None:
    """A poll keeps its question then one answer per line, with the kind "poll"."""
    assert _kinds(posts[101]) == ["poll"]
    assert posts[101].text == "Как вы добираетесь до работы?\nМетро\nАвтобус\nВелосипед"


def test_locations_and_venues(posts: dict[int, PostDraft]) -> None:
    """A map point (also a live one) is a "location"; a venue keeps its name and address."""
    assert _kinds(posts[102]) == ["location"] and posts[102].text == ""
    assert _kinds(posts[103]) == ["location"]
    assert _kinds(posts[104]) == ["venue"]
    assert posts[104].text == "Парк Горького\nул. Крымский Вал, 9, Москва"


@pytest.mark.parametrize(
    ("message_id", "kind"),
    [(105, "voice"), (106, "video_note"), (107, "sticker"), (111, "animation"), (112, "video")],
)
def test_media_types_take_the_kinds_other_sources_use(
    posts: dict[int, PostDraft], message_id: int, kind: str
) -> None:
    """The exporter's "media_type" maps to the Bot API's kinds the web preview also uses."""
    assert _kinds(posts[message_id]) == [kind]


def test_files_are_found_by_name_and_songs_by_performer(posts: dict[int, PostDraft]) -> None:
    """An audio file keeps its performer, title and name; a document its name, even when the
    file itself was not exported, or from its path when there is no "file_name"."""
    assert _kinds(posts[108]) == ["audio"]
    assert posts[108].text == "Кино\nГруппа крови\nГруппа крови.mp3"
    assert _kinds(posts[109]) == ["document"]
    assert posts[109].text == "Опубликован отчёт\n\nОтчёт о бюджете города 2024.pdf"
    assert posts[109].media[0].file_size == 5242880
    assert posts[110].text == "schedule_december.xlsx"
    assert posts[112].text == "Парад снегоуборочной техники"  # a video's file name is no content


def test_photos_not_included_keep_no_path(posts: dict[int, PostDraft]) -> None:
    """A photo the exporter skipped is still a photo, without its "(File not included…)" text
    as a path; an exported photo keeps its relative path and its text list."""
    assert _kinds(posts[113]) == ["photo"] and posts[113].media[0].url is None
    assert posts[114].media[0].url == "photos/photo_3@01-12-2024_12-14-00.jpg"
    assert posts[114].text == "Каток на ВДНХ открыт"


def test_contacts_games_and_invoices(posts: dict[int, PostDraft]) -> None:
    """A contact keeps its name (not the number), a game and an invoice their title and
    description."""
    assert _kinds(posts[115]) == ["contact"] and posts[115].text == "Горячая линия ЖКХ"
    assert "+7" not in posts[115].text
    assert _kinds(posts[116]) == ["game"] and posts[116].text == "Снежки\nКто больше попадёт"
    assert _kinds(posts[117]) == ["invoice"]
    assert posts[117].text == "Билет на ёлку\nВход для одного ребёнка"
    assert posts[118].forwarded_from == "Мэрия" and posts[118].media == []


def test_unknown_field_is_logged_once_and_the_post_kept() -> None:
    """A field the parser does not know is logged once per name, not per file; a message
    holding only that is kept with the kind "unknown"."""
    exports._reported_fields.discard("giveaway_information")
    with captured_logs(exports) as logs:
        [first] = parse_export(KINDS)
        parse_export(KINDS)
    logged = events(logs, "export_unknown_field")
    assert [(entry["field"], entry["message_id"]) for entry in logged] == [
        ("giveaway_information", 120)
    ]
    [giveaway] = [post for post in first.posts if post.message_id == 120]
    assert _kinds(giveaway) == ["unknown"]


def test_imported_kinds_are_stored_and_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tgassist import` stores every such post; a poll answer and a venue address are found."""
    export = tmp_path / "result.json"
    shutil.copy(KINDS, export)
    result = run_cli(monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "9", "--json")
    assert result.code == 0, result.err
    assert result.json()["inserted"] == 19
    for query, message_id in (("велосипед", 101), ("Крымский Вал", 104), ("бюджете", 109)):
        found = run_cli(monkeypatch, capsys, tmp_path, "search", query, "--chat", "9", "--json")
        assert found.code == 0, found.err
        urls = [hit["url"] for hit in found.json()["results"]]
        assert urls and urls[0].endswith(f"/{message_id}"), (query, urls)
