"""Public channels read through Telegram's web preview, ``<base>/s/<username>``.

`parse_preview` turns one preview page into a `ChannelPage` without any I/O;
`WebPreviewSource` fetches pages over HTTP and maps every failure onto the core
errors (`core.channels.polling.read_channel` walks older pages through it).

Edited posts: the preview says "edited" but never when, so `edit_date` is set to
the post date as a marker ("edited at some unknown time") and is None otherwise.

Every post with an id and a date is kept with what it holds: its text, and as searchable text
what its body shows (a poll's question and options, a venue's title and address, a file's name,
a link preview's site, title and description), with one MediaRef per medium naming its kind.
Whitespace is collapsed as a browser renders it, so pretty-printed or archived pages read alike.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Self

import aiohttp
import structlog
from selectolax.lexbor import LexborHTMLParser, LexborNode
from yarl import URL

from core.bounds import bounded_message_id, parse_iso_date
from core.channels.names import bot_api_channel_id, is_username
from core.errors import ChannelNotReadable, ChannelSourceError, InvalidChannelName
from core.models import ChannelInfo, ChannelPage, MediaRef, PostDraft

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://t.me"
DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; tgassist/0.1)"
MAX_REDIRECTS = 3

# CSS `url(...)` inside a style attribute (a CSS value, not HTML).
_CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)(.+?)\1\s*\)""")
_VIEW_SUFFIXES = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 64 * 1024
_LINK_PREVIEW_PARTS = (
    ".link_preview_site_name",
    ".link_preview_title",
    ".link_preview_description",
)
# HTML's white space (what a browser collapses), plus the no-break space of &nbsp;.
_SPACE_RUN = re.compile(r"[ \t\n\r\f\xa0]+")
# Elements of a message bubble that are read, or knowingly left out (chrome, not content).
_KNOWN_PARTS = frozenset(
    {
        "tgme_widget_message_bubble_tail",
        "tgme_widget_message_author",
        "tgme_widget_message_forwarded_from",
        "tgme_widget_message_reply",
        "tgme_widget_message_text",
        "tgme_widget_message_photo_wrap",
        "tgme_widget_message_grouped_wrap",
        "tgme_widget_message_video_player",
        "tgme_widget_message_roundvideo_player",
        "tgme_widget_message_voice_player",
        "tgme_widget_message_document_wrap",
        "tgme_widget_message_sticker_wrap",
        "tgme_widget_message_poll",
        "tgme_widget_message_location_wrap",
        "tgme_widget_message_link_preview",
        "message_media_not_supported_wrap",
        "tgme_widget_message_footer",
        "tgme_widget_message_reactions",
    }
)
# Media in document order: albums mix photos and videos.
_MEDIA_SELECTOR = ", ".join(
    (
        "a.tgme_widget_message_photo_wrap",
        ".tgme_widget_message_video_player",
        ".tgme_widget_message_roundvideo_player",
        ".tgme_widget_message_voice_player",
        ".tgme_widget_message_document_wrap",
        ".tgme_widget_message_sticker_wrap",
        ".tgme_widget_message_poll",
        ".tgme_widget_message_location_wrap",
    )
)


def validate_username(username: str) -> str:
    """Return `username` if it is a well-formed Telegram username, else raise InvalidChannelName.

    The rule is `core.channels.names.is_username`: only letters, digits and underscores pass,
    so the name can never smuggle path, query or fragment characters into the URL.
    """
    if not is_username(username):
        shown = repr(username)[:40]
        raise InvalidChannelName(f"not a Telegram channel username: {shown}")
    return username


# --------------------------------------------------------------------------- parsing


def parse_preview(html: str, username: str) -> ChannelPage:
    """Parse one t.me/s page into a ChannelPage (posts sorted by message id, newest last).

    Raises ChannelNotReadable when the page is not a channel preview at all.
    """
    tree = LexborHTMLParser(html)
    info = tree.css_first(".tgme_channel_info")
    messages = tree.css("div.tgme_widget_message[data-post]")
    if info is None and not messages:
        raise ChannelNotReadable(f"@{username}: the page is not a channel web preview")

    channel = _channel_info(tree, username, messages)
    owner = channel.username or username
    posts: dict[int, PostDraft] = {}
    for node in messages:
        post = _parse_message(node, owner)
        if post is not None:
            posts[post.message_id] = post
    listed = [
        _to_int((node.attributes.get("data-post") or "").rpartition("/")[2]) for node in messages
    ]
    return ChannelPage(
        channel=channel,
        posts=sorted(posts.values(), key=lambda p: p.message_id),
        before=_older_page(tree),
        listed=sorted(number for number in listed if number is not None),
    )


def parse_views(raw: str) -> int | None:
    """Turn a view counter such as "987", "1.2K" or "3.4M" into an int (None if unreadable)."""
    value = raw.strip().replace("\xa0", "").replace(" ", "")
    if not value:
        return None
    multiplier = _VIEW_SUFFIXES.get(value[-1].upper(), 1)
    if multiplier != 1:
        value = value[:-1]
    try:
        number = Decimal(value)  # Decimal, not float: "4.1K" must give 4100 exactly
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return int(number * multiplier)


def _channel_info(tree: LexborHTMLParser, username: str, messages: list[LexborNode]) -> ChannelInfo:
    """Title, canonical username (the request may differ in case) and Telegram id of the page."""
    page_username = _page_username(tree, messages) or username
    title = _text_of(tree.css_first(".tgme_channel_info_header_title"))
    if not title:
        og_title = tree.css_first('meta[property="og:title"]')
        title = (og_title.attributes.get("content") or "").strip() if og_title else ""
    return ChannelInfo(
        username=page_username,
        title=title or page_username,
        telegram_id=_channel_id(messages),
    )


def _page_username(tree: LexborHTMLParser, messages: list[LexborNode]) -> str | None:
    header = _text_of(tree.css_first(".tgme_channel_info_header_username"))
    candidates = [header.lstrip("@")]
    candidates += [(m.attributes.get("data-post") or "").partition("/")[0] for m in messages[:1]]
    for candidate in candidates:
        if is_username(candidate):
            return candidate
    return None


def _channel_id(messages: list[LexborNode]) -> int | None:
    """The channel's Bot API id from a message's data-view: base64 JSON whose "c" is -<bare id>."""
    for message in messages:
        raw = message.attributes.get("data-view") or ""
        if not raw or len(raw) > 1000:
            continue
        try:
            view = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError):
            continue
        peer = view.get("c") if isinstance(view, dict) else None
        # Bare channel ids stay below 10**12, so the Bot API form -100<id> keeps its shape.
        if isinstance(peer, int) and not isinstance(peer, bool) and -(10**12) < peer < 0:
            return bot_api_channel_id(-peer)
    return None


def _older_page(tree: LexborHTMLParser) -> int | None:
    more = tree.css_first("a.tme_messages_more[data-before]")
    return _to_int(more.attributes.get("data-before")) if more else None


def _parse_message(node: LexborNode, username: str) -> PostDraft | None:
    """One `.tgme_widget_message` → PostDraft, or None for service/empty/broken messages."""
    if "service_message" in _classes(node):
        return None
    message_id = _to_int((node.attributes.get("data-post") or "").rpartition("/")[2])
    date = _message_date(node)
    if message_id is None or date is None:
        log.warning(
            "web_preview.message_skipped",
            username=username,
            data_post=_data_post(node),
            reason="bad or out-of-range id" if message_id is None else "bad or out-of-range date",
        )
        return None

    _drop_replies(node)  # a quoted reply is another post; its text must not leak into ours
    links: list[str] = []
    sections = [_rich_text(node.css_first(".tgme_widget_message_text"), links)]
    media: list[MediaRef] = []
    for item in node.css(_MEDIA_SELECTOR):
        medium, words = _medium(item)
        media.append(medium)
        sections.append(words)
    sections.append(_link_preview(node, links))
    if _is_placeholder(node):
        media.append(MediaRef(kind="unsupported"))
    text = "\n\n".join(section for section in sections if section)
    if _report_unknown_parts(node, username) and not text and not media:
        media.append(MediaRef(kind="unknown"))  # something is there; keep the post, say so
    if not text and not media:
        return None

    return PostDraft(
        message_id=message_id,
        date=date,
        text=text,
        links=links,
        views=parse_views(_text_of(node.css_first(".tgme_widget_message_views"))),
        media=media,
        grouped_id=_album_id(node, username, message_id) if media else None,
        edit_date=date if _is_edited(node) else None,
        forwarded_from=_text_of(node.css_first(".tgme_widget_message_forwarded_from_name")) or None,
    )


def _data_post(node: LexborNode) -> str:
    return (node.attributes.get("data-post") or "")[:80]


def _classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").split()


def _message_date(node: LexborNode) -> datetime | None:
    time = node.css_first("a.tgme_widget_message_date time[datetime]")
    if time is None:
        return None
    # Out of range (or overflowing when made UTC) is None: that post is skipped, not the page.
    # A naive timestamp never appears on t.me; it is taken as UTC rather than local time.
    return parse_iso_date(time.attributes.get("datetime") or "")


def _drop_replies(node: LexborNode) -> None:
    # One at a time: decomposing a node whose ancestor is already gone is unsafe.
    while (reply := node.css_first(".tgme_widget_message_reply")) is not None:
        reply.decompose()


def _rich_text(node: LexborNode | None, links: list[str]) -> str:
    """Visible text of a node as a browser shows it; absolute link hrefs go into `links`.

    Runs of white space (and &nbsp;) become one space, <br> a newline, and lines are trimmed.
    """
    if node is None:
        return ""
    parts: list[str] = []
    for child in _walk(node):
        if child.tag == "-text":
            parts.append(_SPACE_RUN.sub(" ", child.text_content or ""))
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag == "a":
            _add_link(links, child.attributes.get("href"))
    lines = (line.strip(" ") for line in "".join(parts).split("\n"))
    return "\n".join(lines).strip()


def _plain(node: LexborNode | None) -> str:
    """Visible text of a small element (a title, an option) on one line."""
    return " ".join(_rich_text(node, []).split())


def _walk(node: LexborNode) -> Iterator[LexborNode]:
    """Descendants in document order, iteratively (no recursion limit on deep markup)."""
    stack = [node.iter(include_text=True)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        yield child
        if child.tag != "-text":
            stack.append(child.iter(include_text=True))


def _add_link(links: list[str], href: str | None) -> None:
    # Relative hrefs are hashtag searches ("?q=%23tag"), not links worth keeping.
    if href and href.startswith(("http://", "https://")) and href not in links:
        links.append(href)


def _link_preview(node: LexborNode, links: list[str]) -> str:
    """A link preview's href goes to links; its site, title and description are searchable."""
    preview = node.css_first(".tgme_widget_message_link_preview")
    if preview is None:
        return ""
    _add_link(links, preview.attributes.get("href"))
    parts = [_rich_text(preview.css_first(selector), []) for selector in _LINK_PREVIEW_PARTS]
    return "\n".join(part for part in parts if part)


def _medium(item: LexborNode) -> tuple[MediaRef, str]:
    """One medium of the body and the words it shows (empty for pictures and sounds)."""
    classes = _classes(item)
    if "tgme_widget_message_photo_wrap" in classes:
        return MediaRef(kind="photo", url=_style_url(item)), ""
    if "tgme_widget_message_video_player" in classes:
        thumb = _style_url(item.css_first(".tgme_widget_message_video_thumb"))
        return MediaRef(kind="video", thumbnail_url=thumb), ""
    if "tgme_widget_message_roundvideo_player" in classes:
        thumb = _style_url(item.css_first(".tgme_widget_message_roundvideo_thumb"))
        return MediaRef(kind="video_note", thumbnail_url=thumb), ""
    if "tgme_widget_message_voice_player" in classes:
        return MediaRef(kind="voice"), ""
    if "tgme_widget_message_document_wrap" in classes:
        return _document(item)
    if "tgme_widget_message_sticker_wrap" in classes:
        return MediaRef(kind="sticker"), ""
    if "tgme_widget_message_poll" in classes:
        return MediaRef(kind="poll"), _poll(item)
    return _location(item)


def _document(item: LexborNode) -> tuple[MediaRef, str]:
    """A file: its name is searchable; for music the performer (the "extra" line) too."""
    title = _plain(item.css_first(".tgme_widget_message_document_title"))
    icon = item.css_first(".tgme_widget_message_document_icon")
    if icon is not None and "audio" in _classes(icon):
        performer = _plain(item.css_first(".tgme_widget_message_document_extra"))
        return MediaRef(kind="audio"), "\n".join(part for part in (title, performer) if part)
    return MediaRef(kind="document"), title  # a document's "extra" is only its size


def _poll(item: LexborNode) -> str:
    """A poll's (or quiz's) question, then one option per line."""
    question = _plain(item.css_first(".tgme_widget_message_poll_question"))
    options = [_plain(o) for o in item.css(".tgme_widget_message_poll_option_text")]
    return "\n".join(part for part in (question, *options) if part)


def _location(item: LexborNode) -> tuple[MediaRef, str]:
    """A map pin; a venue also shows its title and address."""
    title = _plain(item.css_first(".tgme_widget_message_location_title"))
    address = _plain(item.css_first(".tgme_widget_message_location_address"))
    words = "\n".join(part for part in (title, address) if part)
    return MediaRef(kind="venue" if words else "location"), words


def _is_placeholder(node: LexborNode) -> bool:
    """The "Please open Telegram to view this post" block standing for the whole body.

    Players carry their own "not supported in your browser" fallback, and a sticker's comes
    marked `media_not_supported_cont` beside the sticker: neither stands for the post.
    """
    bubble = node.css_first(".tgme_widget_message_bubble") or node
    return any(
        "message_media_not_supported_wrap" in classes and "media_not_supported_cont" not in classes
        for classes in map(_classes, bubble.iter())
    )


_reported_kinds: set[str] = set()


def _report_unknown_parts(node: LexborNode, username: str) -> bool:
    """Log each kind of bubble element the parser does not know, once per process."""
    bubble = node.css_first(".tgme_widget_message_bubble")
    if bubble is None:
        return False
    found = False
    for child in bubble.iter():
        classes = _classes(child)
        if not classes or _KNOWN_PARTS.intersection(classes):
            continue
        found = True
        kind = classes[0][:80]
        if kind not in _reported_kinds:
            _reported_kinds.add(kind)
            log.warning(
                "web_preview.unknown_element",
                kind=kind,
                username=username,
                data_post=_data_post(node),
            )
    return found


def _style_url(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    match = _CSS_URL_RE.search(node.attributes.get("style") or "")
    return _absolute(match.group(2)) if match else None


def _absolute(url: str | None) -> str | None:
    if not url:
        return None
    return f"https:{url}" if url.startswith("//") else url


def _album_id(node: LexborNode, username: str, message_id: int) -> str | None:
    """`<username>:<first message id>` for an album, None for a single medium."""
    if node.css_first(".tgme_widget_message_grouped_wrap") is None:
        return None
    ids = [message_id]
    for item in node.css(".tgme_widget_message_grouped_wrap a[href]"):
        path = URL(item.attributes.get("href") or "").path
        member = _to_int(path.rpartition("/")[2])
        if member is not None:
            ids.append(member)
    return f"{username}:{min(ids)}"


def _is_edited(node: LexborNode) -> bool:
    """ "edited" in the meta's own words; the author's signature beside it may say anything."""
    meta = node.css_first(".tgme_widget_message_meta")
    if meta is None:
        return False
    own = " ".join(
        child.text_content or "" for child in meta.iter(include_text=True) if child.tag == "-text"
    )
    return "edited" in own.casefold().split()


def _text_of(node: LexborNode | None) -> str:
    return node.text(strip=True) if node is not None else ""


def _to_int(raw: str | None) -> int | None:
    return bounded_message_id(raw)  # only message ids are read as numbers here


# --------------------------------------------------------------------------- fetching


class WebPreviewSource:
    """ChannelSource reading `<base_url>/s/<username>` over HTTP."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
        max_bytes: int = 5_000_000,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self._base = URL(base_url.rstrip("/"))
        self._session = session
        self._owns_session = session is None
        self._timeout_s = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_bytes = max_bytes
        # English, so that "edited" and the view suffixes are the ones the parser knows.
        self._headers = {
            "User-Agent": user_agent,
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Language": "en-US,en;q=0.9",
        }

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def fetch_page(self, username: str, before: int | None = None) -> ChannelPage:
        """Read one page of posts, the newest when `before` is None."""
        name = validate_username(username)
        if before is not None and before < 1:
            raise ValueError("before must be a positive message id")
        html = await self._get_html(name, self.page_url(name, before))
        page = parse_preview(html, name)
        log.info(
            "web_preview.page_fetched",
            username=name,
            before=before,
            posts=len(page.posts),
            older=page.before,
        )
        return page

    async def close(self) -> None:
        """Close the HTTP session if this source created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def page_url(self, username: str, before: int | None = None) -> URL:
        """URL of one preview page; `username` must already be validated."""
        url = self._base.with_path(f"{self._base.path.rstrip('/')}/s/{username}")
        return url.with_query(before=before) if before is not None else url

    def _session_for_request(self) -> aiohttp.ClientSession:
        # Created lazily: a ClientSession must be born inside the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _get_html(self, name: str, url: URL) -> str:
        """GET a preview page, following only redirects that stay on a /s/ page."""
        session = self._session_for_request()
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                async with session.get(
                    url, allow_redirects=False, timeout=self._timeout, headers=self._headers
                ) as response:
                    if response.status in _REDIRECTS:
                        url = self._redirect_target(name, response)
                        continue
                    self._check_status(name, response)
                    body = await self._read_bounded(name, response)
                    return self._decode(name, body, response.charset)
            except TimeoutError as exc:
                log.warning("web_preview.timeout", username=name, timeout=self._timeout_s)
                raise ChannelSourceError(
                    f"@{name}: t.me did not answer within {self._timeout_s:g}s"
                ) from exc
            except aiohttp.ClientError as exc:
                log.warning("web_preview.http_error", username=name, error=type(exc).__name__)
                raise ChannelSourceError(
                    f"@{name}: could not reach t.me ({type(exc).__name__})"
                ) from exc
        raise ChannelSourceError(f"@{name}: too many redirects")

    def _redirect_target(self, name: str, response: aiohttp.ClientResponse) -> URL:
        location = response.headers.get("Location")
        if not location:
            raise ChannelSourceError(f"@{name}: redirect without a Location")
        target = response.url.join(URL(location))
        preview_prefix = f"{self._base.path.rstrip('/')}/s/"
        if target.origin() != self._base.origin() or not target.path.startswith(preview_prefix):
            # Telegram sends t.me/s/<name> to t.me/<name> when there is no public preview.
            log.info("web_preview.no_preview", username=name, location=str(target)[:200])
            raise ChannelNotReadable(f"@{name} has no public web preview")
        return target

    def _check_status(self, name: str, response: aiohttp.ClientResponse) -> None:
        status = response.status
        if status == 200:
            return
        log.warning("web_preview.bad_status", username=name, status=status)
        if status in (404, 410):
            raise ChannelNotReadable(f"@{name} was not found on t.me")
        if status == 429:
            retry_after = response.headers.get("Retry-After", "").strip()
            hint = f", retry after {retry_after}s" if retry_after.isdigit() else ""
            raise ChannelSourceError(f"@{name}: rate limited by t.me (HTTP 429{hint})")
        if status >= 500:
            raise ChannelSourceError(f"@{name}: t.me server error (HTTP {status})")
        raise ChannelSourceError(f"@{name}: unexpected HTTP {status} from t.me")

    async def _read_bounded(self, name: str, response: aiohttp.ClientResponse) -> bytes:
        """Read the body, giving up as soon as it grows past max_bytes."""
        too_big = ChannelSourceError(f"@{name}: page larger than {self._max_bytes} bytes")
        if response.content_length is not None and response.content_length > self._max_bytes:
            raise too_big
        if response.content_type not in _HTML_TYPES:
            raise ChannelSourceError(f"@{name}: unexpected content type {response.content_type}")
        body = bytearray()
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            body += chunk
            if len(body) > self._max_bytes:
                log.warning("web_preview.too_large", username=name, max_bytes=self._max_bytes)
                raise too_big
        return bytes(body)

    @staticmethod
    def _decode(name: str, body: bytes, charset: str | None) -> str:
        try:
            html = body.decode(charset or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise ChannelSourceError(f"@{name}: page is not readable text") from exc
        if "\x00" in html:
            raise ChannelSourceError(f"@{name}: page is not readable text")
        if not html.strip():
            raise ChannelSourceError(f"@{name}: empty page")
        return html


# --------------------------------------------------------------------------- backfill
