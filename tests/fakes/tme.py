"""A fake t.me web preview server that renders channels in the real /s/ markup."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer

PAGE_SIZE = 20


@dataclass
class FakePost:
    """One post of a fake channel."""

    message_id: int
    text: str
    date: datetime
    views: int = 100
    photos: list[str] = field(default_factory=list)


@dataclass
class FakeChannel:
    """A fake public channel."""

    username: str
    title: str
    posts: dict[int, FakePost] = field(default_factory=dict)
    status: int = 200  # 200, or an error status to answer with
    private: bool = False  # redirects away from /s/ like channels without a preview
    redirect_to: str | None = None  # answer 302 with this Location instead of the page
    body: bytes | None = None  # answer 200 text/html with these bytes instead of the page
    older_status: int = 200  # an error status to answer older pages (?before=) with


class FakeTelegramWeb:
    """Serves /s/<username>[?before=N] for channels the test defines; counts requests."""

    def __init__(self) -> None:
        self.channels: dict[str, FakeChannel] = {}
        self.requests: list[str] = []
        self.delay = 0.0  # seconds every preview page takes (a slow t.me)
        self._server: TestServer | None = None

    def add_channel(
        self, username: str, title: str, texts: list[str], *, start: datetime | None = None
    ) -> FakeChannel:
        """A channel whose posts are `texts`, one an hour, ids from 1."""
        start = start or datetime(2024, 11, 1, tzinfo=UTC)
        channel = FakeChannel(username, title)
        for number, text in enumerate(texts, start=1):
            channel.posts[number] = FakePost(number, text, start + timedelta(hours=number))
        self.channels[username.lower()] = channel
        return channel

    def add_post(self, username: str, text: str, **extra: object) -> FakePost:
        """Publish a new post in a channel."""
        channel = self.channels[username.lower()]
        message_id = max(channel.posts, default=0) + 1
        last = max(
            (p.date for p in channel.posts.values()), default=datetime(2024, 11, 1, tzinfo=UTC)
        )
        post = FakePost(message_id, text, last + timedelta(hours=1), **extra)  # type: ignore[arg-type]
        channel.posts[message_id] = post
        return post

    @property
    def base_url(self) -> str:
        """The TELEGRAM_WEB_BASE to give the bot."""
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> None:
        """Start serving on 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/s/{username}", self._preview)
        app.router.add_get("/{username}", self._plain)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()

    async def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            await self._server.close()

    async def __aenter__(self) -> FakeTelegramWeb:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _plain(self, request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Telegram</body></html>", content_type="text/html")

    async def _preview(self, request: web.Request) -> web.StreamResponse:
        username = request.match_info["username"]
        self.requests.append(str(request.rel_url))
        if self.delay:
            await asyncio.sleep(self.delay)
        channel = self.channels.get(username.lower())
        if channel is None or channel.private:
            raise web.HTTPFound(f"/{username}")
        if channel.status != 200:
            return web.Response(status=channel.status, text="error")
        if "before" in request.query and channel.older_status != 200:
            return web.Response(status=channel.older_status, text="error")
        if channel.redirect_to is not None:
            raise web.HTTPFound(channel.redirect_to)
        if channel.body is not None:
            return web.Response(body=channel.body, content_type="text/html")
        before = request.query.get("before")
        ids = sorted(i for i in channel.posts if before is None or i < int(before))
        page = ids[-PAGE_SIZE:]
        return web.Response(text=render(channel, page), content_type="text/html")


def render(channel: FakeChannel, ids: list[int]) -> str:
    """The channel page holding the given posts, in t.me/s markup."""
    more = (
        f'<a href="/s/{channel.username}?before={ids[0]}" data-before="{ids[0]}" '
        'class="tme_messages_more js-messages_more"></a>'
        if ids and ids[0] > 1
        else ""
    )
    posts = "\n".join(_render_post(channel, channel.posts[i]) for i in ids)
    title = html.escape(channel.title)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta property="og:title" content="{title}"></head><body>
<div class="tgme_channel_info"><div class="tgme_channel_info_header">
<div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>
<div class="tgme_channel_info_header_username"><a href="https://t.me/{channel.username}">@{channel.username}</a></div>
</div></div>
<section class="tgme_channel_history js-message_history">
<div class="tgme_widget_message_centered js-messages_more_wrap">{more}</div>
{posts}
</section></body></html>"""


def _render_post(channel: FakeChannel, post: FakePost) -> str:
    text = html.escape(post.text).replace("\n", "<br/>")
    photos = "".join(
        f'<a class="tgme_widget_message_photo_wrap" href="https://t.me/{channel.username}/{post.message_id}" '
        f"style=\"width:800px;background-image:url('{html.escape(url)}')\"></a>"
        for url in post.photos
    )
    return f"""<div class="tgme_widget_message_wrap js-widget_message_wrap">
<div class="tgme_widget_message js-widget_message" data-post="{channel.username}/{post.message_id}">
<div class="tgme_widget_message_bubble">{photos}
<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>
<div class="tgme_widget_message_footer"><div class="tgme_widget_message_info">
<span class="tgme_widget_message_views">{post.views}</span>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{channel.username}/{post.message_id}">
<time datetime="{post.date.isoformat()}" class="time">00:00</time></a></span>
</div></div></div></div></div>"""
