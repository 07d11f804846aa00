"""The t.me/s web preview source: parsing saved pages, and fetching them over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.web_preview import WebPreviewSource, parse_preview, parse_views
from core.channels.polling import read_channel
from core.errors import ChannelNotReadable, ChannelSourceError, InvalidChannelName
from core.models import ChannelInfo, ChannelPage, PostDraft
from tests.services import free_port

DATA = Path(__file__).parent / "data" / "tme"
CHANNEL = "techdigest"


def load(name: str) -> str:
    return (DATA / f"{name}.html").read_text(encoding="utf-8")


def posts_by_id(page: ChannelPage) -> dict[int, PostDraft]:
    return {post.message_id: post for post in page.posts}


@pytest.fixture
def latest() -> dict[int, PostDraft]:
    return posts_by_id(parse_preview(load("channel_latest"), CHANNEL))


# --------------------------------------------------------------------------- parsing


def test_page_carries_channel_info_order_and_older_cursor() -> None:
    """The newest page yields title, username, id, posts sorted oldest→newest and data-before."""
    page = parse_preview(load("channel_latest"), CHANNEL)

    # data-view is base64 JSON whose "c" is the negated bare channel id (here 100123456789).
    assert page.channel == ChannelInfo(
        username=CHANNEL, title="Tech Digest", telegram_id=-1_100_123_456_789
    )
    assert [p.message_id for p in page.posts] == [120, 121, 122, 125, 126, 127, 129]
    assert page.before == 120


def test_text_post_keeps_line_breaks_link_text_and_hrefs(latest: dict[int, PostDraft]) -> None:
    """<br> becomes a newline, link text stays in the text and only absolute hrefs are kept."""
    post = latest[120]

    assert post.text == (
        "Python 3.13 is out 🚀\n\n"
        "Free-threaded build, a new REPL and better errors.\n"
        "Release notes: docs.python.org/3.13/whatsnew\n"
        "Discuss: the forum thread #python"
    )
    assert post.links == [
        "https://docs.python.org/3.13/whatsnew/3.13.html",
        "https://discuss.python.org/t/python-3-13-0/12345",
    ]
    assert post.date == datetime(2024, 10, 7, 18, 30, 5, tzinfo=UTC)
    assert post.media == []
    assert post.edit_date is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("987", 987),
        ("12", 12),
        ("1K", 1_000),
        ("1.2K", 1_200),
        ("4.1K", 4_100),
        ("45.6K", 45_600),
        ("3.4M", 3_400_000),
        ("1.5B", 1_500_000_000),
        ("4 800", 4_800),
        ("", None),
        ("views", None),
        ("NaNK", None),
    ],
)
def test_view_counters_become_ints(raw: str, expected: int | None) -> None:
    """View counters with K/M/B suffixes convert exactly; unreadable ones give None."""
    assert parse_views(raw) == expected


def test_views_are_read_from_the_page(latest: dict[int, PostDraft]) -> None:
    """Each post's counter is its own: plain, K and M suffixes as shown on the page."""
    assert (latest[121].views, latest[120].views, latest[122].views) == (987, 1_200, 3_400_000)


def test_single_photo_post(latest: dict[int, PostDraft]) -> None:
    """A photo wrap becomes one photo MediaRef from its background-image; the date becomes UTC."""
    post = latest[121]

    assert [(m.kind, m.url) for m in post.media] == [
        ("photo", "https://cdn4.telesco.pe/file/photo_121_board.jpg")
    ]
    assert post.text == "The new RISC-V dev board on my desk."
    assert post.grouped_id is None
    assert post.date == datetime(2024, 10, 8, 6, 15, tzinfo=UTC)  # shown as 09:15+03:00


def test_album_of_three_photos_is_one_post(latest: dict[int, PostDraft]) -> None:
    """An album's three ?single photos collapse into one post with an album id."""
    post = latest[122]

    assert [m.url for m in post.media] == [
        "https://cdn4.telesco.pe/file/album_122_a.jpg",
        "https://cdn4.telesco.pe/file/album_122_b.jpg",
        "https://cdn4.telesco.pe/file/album_122_c.jpg",
    ]
    assert {m.kind for m in post.media} == {"photo"}
    assert post.grouped_id == "techdigest:122"
    assert post.text == "Three shots from the hardware meetup."
    assert 123 not in latest
    assert 124 not in latest


def test_forwarded_post_names_its_origin(latest: dict[int, PostDraft]) -> None:
    """The forwarded-from name is kept apart from the text."""
    post = latest[125]

    assert post.forwarded_from == "Python Weekly"
    assert post.text.startswith("Issue #77")
    assert latest[120].forwarded_from is None


def test_link_preview_is_searchable(latest: dict[int, PostDraft]) -> None:
    """A link preview adds its href once and its site, title and description after a blank line."""
    post = latest[126]

    assert post.links == ["https://lwn.net/Articles/995000/"]
    assert post.text == (
        "Worth reading: lwn.net/Articles/995000\n\n"
        "LWN.net\n"
        "A deep dive into io_uring security\n"
        "How the kernel hardened its\nasynchronous I/O interface."
    )


def test_reply_block_does_not_leak_into_text(latest: dict[int, PostDraft]) -> None:
    """The quoted post inside a reply block is not part of the reply's text."""
    post = latest[127]

    assert post.text == "Update: 3.13.1 already fixes the REPL crash on Windows."
    assert "QUOTED" not in post.text
    assert post.links == []


def test_edited_post_is_marked_with_its_post_date(latest: dict[int, PostDraft]) -> None:
    """'edited' in the meta sets edit_date to the post date (the page never says when)."""
    post = latest[127]

    assert post.edit_date == post.date


def test_video_post_without_caption(latest: dict[int, PostDraft]) -> None:
    """A video player becomes a video MediaRef with its thumbnail, not the expiring .mp4 URL."""
    post = latest[129]

    assert [(m.kind, m.url, m.thumbnail_url) for m in post.media] == [
        ("video", None, "https://cdn4.telesco.pe/file/video_129_thumb.jpg")
    ]
    assert post.text == ""


def test_service_and_empty_messages_are_skipped() -> None:
    """Service messages and posts with neither text nor media never become posts."""
    latest = posts_by_id(parse_preview(load("channel_latest"), CHANNEL))
    oldest = parse_preview(load("channel_oldest"), CHANNEL)

    assert 128 not in latest  # "pinned" service message, even though it carries text
    assert [p.message_id for p in oldest.posts] == [3, 50]  # "Channel created" and empty 2 gone
    assert oldest.before is None  # only a data-after link: nothing older


def test_document_only_post_is_kept() -> None:
    """A post holding only a file is kept as a document MediaRef instead of being dropped."""
    older = posts_by_id(parse_preview(load("channel_older"), CHANNEL))

    assert [m.kind for m in older[113].media] == ["document"]


def test_username_as_the_page_spells_it() -> None:
    """The channel username comes from the page, not from how the caller typed it."""
    page = parse_preview(load("channel_latest"), "TechDigest")

    assert page.channel.username == CHANNEL


def test_title_falls_back_to_og_title() -> None:
    """Without a channel info header, og:title names the channel and data-post its username."""
    html = (
        '<html><head><meta property="og:title" content="Night Owls"></head><body>'
        '<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" '
        'data-post="night_owls/7"><div class="tgme_widget_message_text">Late news</div>'
        '<a class="tgme_widget_message_date" href="https://t.me/night_owls/7">'
        '<time datetime="2024-01-02T03:04:05+00:00">03:04</time></a></div></div>'
        "</body></html>"
    )
    page = parse_preview(html, "nightowls")

    assert page.channel == ChannelInfo(username="night_owls", title="Night Owls")
    assert [(p.message_id, p.text) for p in page.posts] == [(7, "Late news")]


@pytest.mark.parametrize("html", [load("not_a_channel"), "", "<html><body>hi</body></html>"])
def test_page_that_is_not_a_channel_preview(html: str) -> None:
    """A page with neither channel info nor messages raises ChannelNotReadable."""
    with pytest.raises(ChannelNotReadable):
        parse_preview(html, "someuser")


# --------------------------------------------------------------------------- HTTP


class FakeTme:
    """A tiny t.me: serves /s/<name> pages and records which `before` each request asked for."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/s/{name}", self.preview)
        return app

    async def preview(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        before = request.query.get("before")
        self.requests.append((name, before))
        if name == CHANNEL:
            pages = {"120": "channel_older", "105": "channel_oldest"}
            fixture = pages.get(before or "", "channel_latest")
            return web.Response(text=load(fixture), content_type="text/html")
        return await self.special(name, request)

    async def special(self, name: str, request: web.Request) -> web.StreamResponse:
        html = "text/html"
        if name == "nopreview":
            raise web.HTTPFound(f"/{name}")
        if name == "renamedchan":
            raise web.HTTPMovedPermanently(f"/s/{CHANNEL}")
        if name == "missingchan":
            raise web.HTTPNotFound()
        if name == "brokenchan":
            raise web.HTTPInternalServerError()
        if name == "busychan":
            raise web.HTTPTooManyRequests(headers={"Retry-After": "7"})
        if name == "emptypage":
            return web.Response(body=b"", content_type=html)
        if name == "garbagepage":
            return web.Response(body=bytes(range(128, 256)) * 8, content_type=html)
        if name == "imagepage":
            return web.Response(body=b"\x89PNG\r\n\x1a\n", content_type="image/png")
        if name == "notachannel":
            return web.Response(text=load("not_a_channel"), content_type=html)
        if name == "slowpage":
            await asyncio.sleep(5)
            return web.Response(text=load("channel_latest"), content_type=html)
        if name == "hugepage":
            return await self.endless(request)
        raise web.HTTPNotFound()

    @staticmethod
    async def endless(request: web.Request) -> web.StreamResponse:
        """Chunked HTML without a Content-Length, far larger than any sane page."""
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        chunk = b"<div>" + b"x" * 65_536 + b"</div>"
        for _ in range(64):  # ~4 MB
            await response.write(chunk)
        await response.write_eof()
        return response


@pytest.fixture
async def tme() -> AsyncIterator[tuple[FakeTme, TestServer]]:
    fake = FakeTme()
    server = TestServer(fake.app(), host="127.0.0.1")  # random free port
    await server.start_server()
    try:
        yield fake, server
    finally:
        await server.close()


@pytest.fixture
async def source(tme: tuple[FakeTme, TestServer]) -> AsyncIterator[WebPreviewSource]:
    _, server = tme
    web_source = WebPreviewSource(str(server.make_url("/")), timeout=2.0, max_bytes=200_000)
    try:
        yield web_source
    finally:
        await web_source.close()


async def test_fetch_newest_page_over_http(source: WebPreviewSource) -> None:
    """A 200 preview page is fetched and parsed into the channel's newest posts."""
    page = await source.fetch_page(CHANNEL)

    assert page.channel.title == "Tech Digest"
    assert page.posts[-1].message_id == 129
    assert page.before == 120


async def test_backfill_walks_every_older_page(
    source: WebPreviewSource, tme: tuple[FakeTme, TestServer]
) -> None:
    """read_channel follows data-before page by page until the oldest page has no cursor."""
    fake, _ = tme

    page = await read_channel(source, CHANNEL, limit=1_000)

    assert fake.requests == [(CHANNEL, None), (CHANNEL, "120"), (CHANNEL, "105")]
    assert [p.message_id for p in page.posts] == [
        3, 50, 105, 108, 110, 113, 117, 119, 120, 121, 122, 125, 126, 127, 129,
    ]  # fmt: skip
    assert page.before is None
    assert page.channel.username == CHANNEL


async def test_backfill_stops_at_limit_and_says_where_to_resume(
    source: WebPreviewSource, tme: tuple[FakeTme, TestServer]
) -> None:
    """read_channel keeps only the newest `limit` posts and points `before` just below them."""
    fake, _ = tme

    page = await read_channel(source, CHANNEL, limit=8)

    assert fake.requests == [(CHANNEL, None), (CHANNEL, "120")]
    assert [p.message_id for p in page.posts] == [119, 120, 121, 122, 125, 126, 127, 129]
    assert page.before == 119


async def test_redirect_within_preview_is_followed(source: WebPreviewSource) -> None:
    """A redirect to another /s/ page (a renamed channel) is followed."""
    page = await source.fetch_page("renamedchan")

    assert page.channel.username == CHANNEL


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("nopreview", "no public web preview"),
        ("missingchan", "not found"),
        ("notachannel", "not a channel web preview"),
    ],
)
async def test_channel_not_readable(source: WebPreviewSource, name: str, reason: str) -> None:
    """A redirect away from /s/, a 404 or a non-channel page raise ChannelNotReadable."""
    with pytest.raises(ChannelNotReadable, match=reason):
        await source.fetch_page(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("brokenchan", "HTTP 500"),
        ("busychan", "HTTP 429, retry after 7s"),
        ("emptypage", "empty page"),
        ("garbagepage", "not readable text"),
        ("imagepage", "unexpected content type image/png"),
        ("hugepage", "larger than 200000 bytes"),
    ],
)
async def test_passing_failures_raise_source_error(
    source: WebPreviewSource, name: str, reason: str
) -> None:
    """5xx, 429, empty, undecodable, non-HTML and oversized bodies raise a short ChannelSourceError."""
    with pytest.raises(ChannelSourceError, match=reason) as caught:
        await source.fetch_page(name)

    assert "Traceback" not in str(caught.value)
    assert len(str(caught.value)) < 120


async def test_timeout_raises_source_error(tme: tuple[FakeTme, TestServer]) -> None:
    """A server slower than the timeout gives ChannelSourceError, not a hang."""
    _, server = tme
    async with WebPreviewSource(str(server.make_url("/")), timeout=0.3) as slow_source:
        with pytest.raises(ChannelSourceError, match=r"did not answer within 0\.3s"):
            await slow_source.fetch_page("slowpage")


async def test_connection_refused_raises_source_error() -> None:
    """A closed port gives ChannelSourceError naming the failure class only."""
    async with WebPreviewSource(f"http://127.0.0.1:{free_port()}") as dead_source:
        with pytest.raises(ChannelSourceError, match=r"could not reach t\.me"):
            await dead_source.fetch_page(CHANNEL)


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "bad-name",
        "../etc",
        "name?x=1",
        "",
        "abc",
        "1abcde",
        "x" * 33,
        "name/../x",
        "näme_x",
        "name_",
    ],
)
async def test_invalid_usernames_never_reach_the_network(
    source: WebPreviewSource, tme: tuple[FakeTme, TestServer], name: str
) -> None:
    """Malformed or path/query-injecting usernames raise InvalidChannelName before any request."""
    fake, _ = tme

    with pytest.raises(InvalidChannelName):
        await source.fetch_page(name)

    assert fake.requests == []


async def test_injected_session_is_not_closed(tme: tuple[FakeTme, TestServer]) -> None:
    """close() leaves a caller-provided session open for its owner."""
    _, server = tme
    async with aiohttp.ClientSession() as session:
        web_source = WebPreviewSource(str(server.make_url("/")), session=session)
        await web_source.fetch_page(CHANNEL)
        await web_source.close()

        assert not session.closed


# ------------------------------------------------------------------- read_channel guards


class ScriptedSource:
    """A ChannelSource whose next page's `before` is computed from the one asked for."""

    def __init__(self, next_before: int | None, *, step: int) -> None:
        self.next_before = next_before
        self.step = step
        self.calls: list[int | None] = []

    async def fetch_page(self, username: str, before: int | None = None) -> ChannelPage:
        self.calls.append(before)
        newest = before if before is not None else 1_000
        post = PostDraft(message_id=newest - 1, date=datetime(2024, 1, 1, tzinfo=UTC), text="x")
        following = self.next_before if before is None else before + self.step
        return ChannelPage(ChannelInfo(username=username, title="T"), [post], following)


async def test_backfill_stops_when_before_does_not_decrease() -> None:
    """A `before` that fails to go back stops the walk instead of looping forever."""
    looping = ScriptedSource(500, step=0)  # every older page points at the same cursor

    page = await read_channel(looping, CHANNEL, limit=100)

    assert looping.calls == [None, 500]
    assert page.before is None


async def test_backfill_stops_after_max_pages() -> None:
    """An endless channel is read no further than max_pages pages."""
    endless = ScriptedSource(900, step=-1)

    page = await read_channel(endless, CHANNEL, limit=100, max_pages=3)

    assert len(endless.calls) == 3
    assert page.before is not None
    assert len(page.posts) == 3
