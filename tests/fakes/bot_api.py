"""A fake Telegram Bot API server that speaks the real HTTP protocol.

aiogram reaches it through ``AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))``:
requests arrive as ``POST {base}/bot{token}/{method}`` with form-encoded (or multipart, or JSON)
bodies and get ``{"ok": ..., "result" | "error_code" + "description" + "parameters"}`` back, so the
real ``Dispatcher``, long polling and aiogram's exception mapping are exercised end to end.

It keeps just enough state to be faithful where our code can go wrong: message ids per chat,
the bot's own messages (edits, "message is not modified", deletes), Telegram's HTML parse mode
and text limits, flood control, blocked users and group migrations. Every request is O(1)
apart from parsing its own text, so a benchmark can push tens of thousands of messages.

Deliberate simplifications (see each method): a numeric ``chat_id`` the fake has not seen is
treated as an existing chat (private if positive, group/supergroup if negative); Markdown parse
modes are not parsed (the raw text is counted); in HTML an ``&`` that does not start ``&lt;``,
``&gt;``, ``&amp;``, ``&quot;`` or a numeric entity is rejected, although real Telegram (tdlib)
keeps it literally: unescaped text is caught here before it meets a real ``<``.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import inspect
import itertools
import json
import logging
import math
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Self

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_ANSWER_LENGTH = 200
DEFAULT_BOT_ID = 123456

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a content and reply markup of the current content and reply "
    "markup of the message"
)


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Form bodies carry every value as a string; these keys hold JSON, integers or booleans.
_JSON_KEYS = _names(
    "reply_markup link_preview_options commands allowed_updates entities caption_entities "
    "scope reply_parameters media results permissions options reaction menu_button rights "
    "message_ids explanation_entities question_entities"
)
_INT_KEYS = _names(
    "chat_id from_chat_id message_id message_thread_id reply_to_message_id user_id offset "
    "limit timeout cache_time until_date max_connections"
)
_BOOL_KEYS = _names(
    "disable_notification protect_content allow_paid_broadcast allow_sending_without_reply "
    "disable_web_page_preview show_alert drop_pending_updates revoke_messages only_if_banned "
    "has_spoiler"
)
_INT_RE = re.compile(r"-?\d+")

# Update types Telegram withholds unless a bot asks for them explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = _names(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{5,32})"
)

# Required fields of ChatMemberAdministrator / ChatMemberRestricted besides user and status.
_ADMIN_RIGHTS = _names(
    "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
    "can_promote_members can_change_info can_invite_users can_post_stories can_edit_stories "
    "can_delete_stories can_send_welcome_messages can_pin_messages"
)
_RESTRICTED_FLAGS = _names(
    "can_send_messages can_send_audios can_send_documents can_send_photos can_send_videos "
    "can_send_video_notes can_send_voice_notes can_send_polls can_send_other_messages "
    "can_add_web_page_previews can_react_to_messages can_edit_tag can_change_info "
    "can_invite_users can_pin_messages can_manage_topics"
)

Handler = Callable[[dict[str, Any]], Any]


class BotAPIError(Exception):
    """An error reply; raise it from a custom handler (see ``FakeBotAPI.set_handler``) too."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One answered request: decoded params, arrival time (the fake's clock), HTTP status, body.

    Status 0 means the fake dropped the connection without answering (see ``drop_next``).
    """

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int | str) else None


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part; its form field holds an ``attach://<name>`` reference."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    times: int


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _to_timestamp(value: int | float | datetime | None) -> int:
    if value is None:
        return int(time.time())
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a form body (all strings) into typed params; JSON bodies pass through typed."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_KEYS:
                try:
                    value = json.loads(value)
                except ValueError:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise _bad_request(f"can't parse {what} JSON object") from None
            elif key in _INT_KEYS and _INT_RE.fullmatch(value):
                value = int(value)
            elif key in _BOOL_KEYS and value.lower() in ("true", "false"):
                value = value.lower() == "true"
        params[key] = value
    return params


# --- Telegram's HTML parse mode ---------------------------------------------------------------

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[^\s>]*")  # how tdlib delimits a tag name
# tdlib's entity syntax: the semicolon is optional.
_HTML_ENTITY_RE = re.compile(
    r"&(?:#(?P<dec>[0-9]+)|#[xX](?P<hex>[0-9a-fA-F]+)|(?P<name>[a-zA-Z]+));?"
)


def _check_ampersands(source: str) -> None:
    """Every "&" must start a supported entity.

    Done on the raw source because HTMLParser silently drops an invalid "&x" at the very end.
    """
    for index in (m.start() for m in re.finditer("&", source)):
        at = len(source[:index].encode())
        entity = _HTML_ENTITY_RE.match(source, index)
        if entity is None:
            raise _EntityParseError(
                f'Character "&" at byte offset {at} does not start an HTML entity; '
                "escape it as &amp;"
            )
        if entity["name"] and entity["name"] not in _NAMED_HTML_ENTITIES:
            raise _EntityParseError(
                f'Unsupported HTML entity "&{entity["name"]};" at byte offset {at}; '
                "only &lt; &gt; &amp; &quot; and numeric entities are supported"
            )
        code = int(entity["dec"] or entity["hex"] or "0", 10 if entity["dec"] else 16)
        if not entity["name"] and not 0 < code <= 0x10FFFF:
            raise _EntityParseError(f"Invalid numeric entity at byte offset {at}")


def _decode_entity(entity: re.Match[str]) -> str:
    if entity["name"]:
        return _NAMED_HTML_ENTITIES[entity["name"]]
    return chr(int(entity["dec"], 10) if entity["dec"] else int(entity["hex"], 16))


class _EntityParseError(Exception):
    pass


@dataclass
class _OpenTag:
    tag: str
    offset: int  # UTF-16 offset in the output text
    entity: dict[str, Any] | None  # None: the tag produces no entity of its own


class _TelegramHTML(HTMLParser):
    """Tokenizes with ``HTMLParser`` and applies Telegram's rules on top (tdlib's wording)."""

    def __init__(self, source: str) -> None:
        # Entities are reported one by one so unsupported ones can be rejected.
        super().__init__(convert_charrefs=False)
        self._source = source
        self._parts: list[str] = []
        self._offset = 0
        self._stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def _index(self, extra_chars: int = 0) -> int:
        """Character index in the source of the current token (only needed for errors)."""
        line, column = self.getpos()
        lines_before = self._source.split("\n")[: line - 1]
        return sum(len(chunk) + 1 for chunk in lines_before) + column + extra_chars

    def _byte_offset(self, index: int | None = None) -> int:
        index = self._index() if index is None else index
        return len(self._source[:index].encode())

    def _fail(self, message: str) -> None:
        raise _EntityParseError(message)

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._offset += utf16_len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAG_ENTITY:
            self._fail(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        attributes = dict(attrs)
        entity: dict[str, Any] | None = {"type": _TAG_ENTITY[tag]}
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self._fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset()}'
            )
        elif tag == "a":
            href = (attributes.get("href") or "").strip()
            entity = {"type": "text_link", "url": href} if href else None
        elif tag == "tg-emoji":
            emoji_id = attributes.get("emoji-id")
            if not emoji_id:
                self._fail(
                    f"Custom emoji identifier must be specified at byte offset {self._byte_offset()}"
                )
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        elif tag == "blockquote" and "expandable" in attributes:
            entity = {"type": "expandable_blockquote"}
        elif tag == "code" and self._stack and self._stack[-1].tag == "pre":
            # <pre><code class="language-x"> is one pre entity carrying the language.
            css_class = attributes.get("class") or ""
            pre = self._stack[-1].entity
            if css_class.startswith("language-") and pre is not None:
                pre["language"] = css_class.removeprefix("language-")
                entity = None
        self._stack.append(_OpenTag(tag, self._offset, entity))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f'Unsupported start tag "{tag}/" at byte offset {self._byte_offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            self._fail(f"Unexpected end tag at byte offset {self._byte_offset()}")
        open_tag = self._stack.pop()
        if open_tag.tag != tag:
            self._fail(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected "</{open_tag.tag}>", '
                f'found "</{tag}>"'
            )
        length = self._offset - open_tag.offset
        if open_tag.entity is not None and length > 0:
            self.entities.append({**open_tag.entity, "offset": open_tag.offset, "length": length})

    def handle_data(self, data: str) -> None:
        # HTMLParser passes a "<" that starts no tag through as text, and at the end of the
        # input also entities; "&"s were validated up front.
        if (lt := data.find("<")) != -1:
            index = self._index(lt)
            at = self._byte_offset(index)
            name = _TAG_NAME_RE.match(self._source, index + 1)
            assert name is not None  # the pattern matches the empty string
            if name.end() == len(self._source):
                self._fail(f"Unclosed start tag at byte offset {at}")
            self._fail(f'Unsupported start tag "{name.group().lower()}" at byte offset {at}')
        self._append(_HTML_ENTITY_RE.sub(_decode_entity, data))

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_HTML_ENTITIES:  # e.g. "&lt2": HTMLParser reads a longer name
            self._fail(f'Unsupported HTML entity "&{name};" at byte offset {self._byte_offset()}')
        self._append(_NAMED_HTML_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self._append(chr(int(name[1:], 16) if name[:1] in ("x", "X") else int(name)))

    def handle_comment(self, data: str) -> None:
        self._fail(f'Unsupported start tag "!--" at byte offset {self._byte_offset()}')

    def handle_decl(self, decl: str) -> None:
        name = decl.split(maxsplit=1)[0].lower() if decl else ""
        self._fail(f'Unsupported start tag "!{name}" at byte offset {self._byte_offset()}')

    def unknown_decl(self, data: str) -> None:
        self.handle_decl(data)

    def handle_pi(self, data: str) -> None:
        self._fail(f'Unsupported start tag "?" at byte offset {self._byte_offset()}')

    def finish(self) -> None:
        self.close()
        if self._stack:
            tag = self._stack[-1].tag
            self._fail(f'Can\'t find end tag corresponding to start tag "{tag}"')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities) or raise a 400 like Telegram does."""
    parser = _TelegramHTML(source)
    try:
        _check_ampersands(source)
        parser.feed(source)
        parser.finish()
    except _EntityParseError as e:
        raise _bad_request(f"can't parse entities: {e}") from None
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return parser.text, entities


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command and mention entities Telegram attaches to incoming text."""
    return [
        {
            "type": match.lastgroup,
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _AUTO_ENTITY_RE.finditer(text)
    ]


# --- flood control ----------------------------------------------------------------------------


class _Window:
    """Sliding-window log: amortised O(1), since each hit is appended and popped once."""

    __slots__ = ("hits", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.hits: deque[float] = deque()

    def wait(self, now: float) -> float:
        hits = self.hits
        while hits and hits[0] <= now - self.period:
            hits.popleft()
        return hits[0] + self.period - now if len(hits) >= self.limit else 0.0


class _RateLimiter:
    def __init__(
        self, overall_per_s: int | None, per_chat_per_s: int | None, group_per_min: int | None
    ) -> None:
        self._overall = _Window(overall_per_s, 1.0) if overall_per_s else None
        self._per_chat_limit = per_chat_per_s
        self._group_limit = group_per_min
        self._per_chat: dict[int | str, _Window] = {}
        self._per_group: dict[int | str, _Window] = {}

    def _windows(self, chat_id: int | str, is_group: bool) -> list[_Window]:
        windows = [self._overall] if self._overall else []
        if self._per_chat_limit:
            window = self._per_chat.get(chat_id)
            if window is None:
                window = self._per_chat[chat_id] = _Window(self._per_chat_limit, 1.0)
            windows.append(window)
        if is_group and self._group_limit:
            window = self._per_group.get(chat_id)
            if window is None:
                window = self._per_group[chat_id] = _Window(self._group_limit, 60.0)
            windows.append(window)
        return windows

    def retry_after(self, chat_id: int | str, is_group: bool, now: float) -> int:
        wait = max((w.wait(now) for w in self._windows(chat_id, is_group)), default=0.0)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def hit(self, chat_id: int | str, is_group: bool, now: float) -> None:
        for window in self._windows(chat_id, is_group):
            window.hits.append(now)


# --- the server -------------------------------------------------------------------------------


class FakeBotAPI:
    """In-process Telegram Bot API on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        *,
        bot_id: int = DEFAULT_BOT_ID,
        bot_username: str = "tgassist_test_bot",
        bot_first_name: str = "TgAssist",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Mutable on purpose: tests may change what getMe returns.
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._clock = clock
        self._app = web.Application(client_max_size=64 * 1024 * 1024)
        self._app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        self._app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False

        self._methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._text_setter("description", 512),
            "getMyDescription": self._text_getter("description"),
            "setMyShortDescription": self._text_setter("short_description", 120),
            "getMyShortDescription": self._text_getter("short_description"),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getFile": self._get_file,
            "close": lambda _: True,
            "logOut": lambda _: True,
        }
        self._custom: dict[str, Handler] = {}
        # Telegram method names are case-insensitive.
        self._canonical = {name.lower(): name for name in self._methods}

        # Recording.
        self._calls: list[Call] = []
        self._calls_by_method: defaultdict[str, list[Call]] = defaultdict(list)
        self._sent: list[dict[str, Any]] = []
        self._sent_by_chat: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        self._waiters: set[asyncio.Future[None]] = set()
        self.status_counts: Counter[int] = Counter()
        self.internal_errors: list[BaseException] = []

        # Telegram-side state.
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._update_added = asyncio.Event()
        self._allowed_updates: frozenset[str] | None = None
        self._webhook_url = ""
        self._chats: dict[int, dict[str, Any]] = {}
        self._chats_by_username: dict[str, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._members: defaultdict[int, dict[int, str]] = defaultdict(dict)
        self._last_message_id: defaultdict[int, int] = defaultdict(int)
        self._last_bot_message: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._callback_ids: set[str] = set()
        self._callback_counter = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # setMyDescription / setMyShortDescription: (field, language_code) -> text
        self.bot_texts: dict[tuple[str, str], str] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._file_contents: dict[str, bytes] = {}

        # Faults.
        self._limiter: _RateLimiter | None = None
        self._limited_methods: frozenset[str] = frozenset()
        self._forbidden: dict[int | str, str] = {}
        self._migrated: dict[int | str, int] = {}
        self._failures: defaultdict[str, deque[_Failure]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._drops: Counter[str] = Counter()

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Self:
        self._closing = False
        # A short shutdown timeout: long polls are woken on stop, nothing else lingers.
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._update_added.set()  # release long polls so shutdown does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``TelegramAPIServer.from_base``."""
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    # --- HTTP ---------------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
        elif request.method == "POST":
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
        return decode_params(raw)

    async def _handle_method(self, request: web.Request) -> web.Response:
        at = self._clock()
        name = request.match_info["method"]
        method = self._canonical.get(name.lower(), name)
        params: dict[str, Any] = {}
        try:
            if not re.fullmatch(r"\d+:[\w-]+", request.match_info["token"]):
                raise BotAPIError(401, "Unauthorized")
            params = await self._read_params(request)
            if self._drops[method] > 0:
                return self._drop(request, Call(method, params, at, status=0))
            result = await self._dispatch(method, params, at)
            status, body = 200, {"ok": True, "result": result}
        except BotAPIError as e:
            status, body = e.status, e.body()
        except Exception as e:  # a bug in the fake or in a custom handler: surface it loudly
            log.exception("FakeBotAPI failed on %s", method)
            self.internal_errors.append(e)
            status = 500
            body = BotAPIError(500, f"Internal Server Error: fake failed: {e!r}").body()
        self._record(Call(method, params, at, status, body))
        return web.json_response(body, status=status)

    def _drop(self, request: web.Request, call: Call) -> web.Response:
        """Close the connection before the method runs: the client sees a network error."""
        self._drops[call.method] -= 1
        self._record(call)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never reaches the client

    async def _handle_file(self, request: web.Request) -> web.Response:
        content = self._file_contents.get(request.match_info["path"])
        if content is None:
            return web.json_response(BotAPIError(404, "Not Found").body(), status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def _dispatch(self, method: str, params: dict[str, Any], at: float) -> Any:
        if delay := self._delays.get(method):
            await asyncio.sleep(delay)
        failures = self._failures.get(method)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.popleft()
            parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
            raise BotAPIError(failure.status, failure.description, parameters)
        handler = self._custom.get(method) or self._methods.get(method)
        if handler is None:
            raise BotAPIError(404, "Not Found: method not found")
        chat_id = params.get("chat_id")
        if chat_id is not None:
            if chat_id in self._forbidden:
                raise BotAPIError(403, self._forbidden[chat_id])
            if chat_id in self._migrated:
                raise BotAPIError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": self._migrated[chat_id]},
                )
        limited = self._limiter is not None and method in self._limited_methods
        if limited:
            assert self._limiter is not None
            chat_key = chat_id if isinstance(chat_id, int | str) else ""
            is_group = self._chat_type(chat_id) != "private"
            if retry_after := self._limiter.retry_after(chat_key, is_group, at):
                raise BotAPIError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        result = handler(params)
        if inspect.isawaitable(result):
            result = await result
        if limited:  # only delivered messages count against the limits
            assert self._limiter is not None
            self._limiter.hit(chat_key, is_group, at)
        return result

    # --- recording ----------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._calls_by_method[call.method].append(call)
        self.status_counts[call.status] += 1
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def calls(self, method: str | None = None) -> list[Call]:
        """Answered requests in answer order, optionally of one method."""
        return list(self._calls if method is None else self._calls_by_method.get(method, ()))

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Decoded params of every *successful* sendMessage, optionally to one chat (id or
        @username)."""
        if chat_id is None:
            return list(self._sent)
        if isinstance(chat_id, str):
            chat_id = self._chats_by_username.get(chat_id.lstrip("@").lower(), 0)
        return list(self._sent_by_chat.get(chat_id, ()))

    @property
    def rate_limited(self) -> int:
        """How many 429 replies were sent (flood control and injected ones)."""
        return self.status_counts[429]

    async def wait_for(
        self,
        predicate: Callable[[Call], bool] | str | None = None,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until ``count`` recorded calls match every given filter; return the matches.

        ``predicate`` may be a method name. Calls recorded before this call count too (since
        the last ``reset()``), so ``add_update(...); await wait_for("sendMessage")`` is safe.
        """
        if isinstance(predicate, str):
            method, predicate = predicate, None

        def matches(call: Call) -> bool:
            return (
                (method is None or call.method == method)
                and (chat_id is None or call.chat_id == chat_id)
                and (predicate is None or predicate(call))
            )

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        calls, scanned, found = self._calls, 0, list[Call]()
        while True:
            if calls is not self._calls:  # reset() replaced the log: start over
                calls, scanned, found = self._calls, 0, list[Call]()
            found.extend(call for call in calls[scanned:] if matches(call))
            scanned = len(calls)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(f"{c.method} {c.status} {c.params}" for c in self._calls[-20:])
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} call(s) with "
                    f"method={method!r} chat_id={chat_id!r} predicate={predicate!r}; "
                    f"matched {len(found)}. Last {min(20, len(self._calls))} of "
                    f"{len(self._calls)} calls:\n  {recent}"
                )
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    def reset(self) -> None:
        """Forget recorded calls, sent messages and counters; chats, updates and faults stay."""
        self._calls = []
        self._calls_by_method = defaultdict(list)
        self._sent = []
        self._sent_by_chat = defaultdict(list)
        self.status_counts = Counter()

    # --- configuration ------------------------------------------------------------------------

    def set_handler(self, method: str, handler: Handler) -> None:
        """Answer ``method`` with ``handler(params)`` (may be async or raise BotAPIError).

        Overrides built-ins and adds methods the fake lacks; faults still apply first.
        """
        self._custom[method] = handler
        self._canonical[method.lower()] = method

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register (or update) a chat for getChat, @username lookups and message builders."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name or f"User{chat_id}"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username.lstrip("@")
            self._chats_by_username[chat["username"].lower()] = chat_id
        chat.update(extra)
        self._chats[chat_id] = chat
        return chat

    def set_chat_admins(
        self, chat_id: int, admin_ids: list[int], *, creator_id: int | None = None
    ) -> None:
        """Make ``admin_ids`` administrators (and ``creator_id`` the owner); others are members."""
        members = self._members[chat_id]
        for user_id, status in list(members.items()):
            if status in ("administrator", "creator"):
                del members[user_id]
        for user_id in admin_ids:
            members[user_id] = "administrator"
        if creator_id is not None:
            members[creator_id] = "creator"

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Any ChatMember status: creator, administrator, member, restricted, left, kicked."""
        self._members[chat_id][user_id] = status

    def add_file(
        self, content: bytes, *, file_path: str | None = None, file_id: str | None = None
    ) -> dict[str, Any]:
        """Serve ``content`` via getFile + ``{base}/file/bot{token}/{file_path}``; returns File."""
        digest = hashlib.sha1(content, usedforsecurity=False).hexdigest()[:16]
        file_id = file_id or f"file-{digest}-{len(self._files)}"
        file_path = file_path or f"documents/{file_id}"
        file = {
            "file_id": file_id,
            "file_unique_id": digest,
            "file_size": len(content),
            "file_path": file_path,
        }
        self._files[file_id] = file
        self._file_contents[file_path] = content
        return file

    # --- fault injection ----------------------------------------------------------------------

    def rate_limit(
        self,
        overall_per_s: int | None = 30,
        per_chat_per_s: int | None = 1,
        group_per_min: int | None = 20,
        *,
        methods: tuple[str, ...] = ("sendMessage",),
    ) -> None:
        """Enforce Telegram's broadcast limits (sliding windows; None disables one) with 429s."""
        self._limiter = _RateLimiter(overall_per_s, per_chat_per_s, group_per_min)
        self._limited_methods = frozenset(methods)

    def forbid(
        self, chat_id: int | str, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Every method addressed to ``chat_id`` fails with 403."""
        self._forbidden[chat_id] = description

    def migrate(self, chat_id: int | str, new_chat_id: int) -> None:
        """Every method addressed to ``chat_id`` fails with 400 + migrate_to_chat_id."""
        self._migrated[chat_id] = new_chat_id
        if isinstance(chat_id, int) and new_chat_id not in self._chats:
            old = self._chats.get(chat_id, {})
            self.add_chat(new_chat_id, "supergroup", title=old.get("title"))

    def fail_next(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        *,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail with ``status`` (429 gets retry_after)."""
        if status == 429:
            retry_after = retry_after or 1
        default = {
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, f"Error {status}")
        self._failures[method].append(_Failure(status, description or default, retry_after, times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` lose their connection before the method runs
        (aiohttp clients see ``ServerDisconnectedError``); recorded as calls with status 0."""
        self._drops[method] += times

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (0 removes the delay)."""
        if seconds > 0:
            self._delays[method] = seconds
        else:
            self._delays.pop(method, None)

    def clear_faults(self) -> None:
        """Remove rate limits, forbidden and migrated chats, pending failures, drops and delays."""
        self._limiter = None
        self._forbidden.clear()
        self._migrated.clear()
        self._failures.clear()
        self._delays.clear()
        self._drops.clear()

    # --- updates ------------------------------------------------------------------------------

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; assigns and returns its increasing update_id."""
        update_id = next(self._update_ids)
        self._updates.append({**update, "update_id": update_id})
        self._update_added.set()
        return update_id

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    def _user(
        self,
        user_id: int,
        *,
        username: str | None = None,
        first_name: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username.lstrip("@")
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _lookup_user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            return self._bot_as_user()
        return self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }

    def _bot_as_user(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    def _chat(self, chat_id: int, chat_type: str | None = None, **fields: Any) -> dict[str, Any]:
        """The registered chat, created or updated as needed (type inferred from the id)."""
        chat = self._chats.get(chat_id)
        changes = {k: v for k, v in fields.items() if v}
        if (
            chat is not None
            and chat_type in (None, chat["type"])
            and all(chat.get(k) == v for k, v in changes.items())
        ):
            return chat
        known = {k: v for k, v in (chat or {}).items() if k not in ("id", "type")}
        kind = chat_type or (chat["type"] if chat else self._infer_type(chat_id))
        return self.add_chat(chat_id, kind, **{**known, **changes})

    @staticmethod
    def _infer_type(chat_id: int) -> str:
        if chat_id > 0:
            return "private"
        return "supergroup" if chat_id <= -1_000_000_000_000 else "group"

    def _chat_type(self, chat_id: Any) -> str:
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
            return chat["type"] if chat else self._infer_type(chat_id)
        return "channel"  # @username targets are channels or public supergroups

    @staticmethod
    def _short_chat(chat: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "type", "title", "username", "first_name", "last_name", "is_forum")
        return {k: chat[k] for k in keys if k in chat}

    def _next_message_id(self, chat_id: int, message_id: int | None = None) -> int:
        if message_id is None:
            message_id = self._last_message_id[chat_id] + 1
        self._last_message_id[chat_id] = max(self._last_message_id[chat_id], message_id)
        return message_id

    def message(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        user_id: int = 1001,
        chat_type: str = "private",
        language_code: str | None = "en",
        username: str | None = None,
        first_name: str | None = None,
        reply_to: int | dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        message_id: int | None = None,
        date: int | float | datetime | None = None,
        title: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A ``message`` Update from a user; private chats default to ``chat_id = user_id``.

        ``entities`` default to the bot_command/mention entities Telegram would attach;
        ``reply_to`` is a message id in the same chat or a Message dict; ``overrides`` are
        merged into the Message.
        """
        user = self._user(
            user_id, username=username, first_name=first_name, language_code=language_code
        )
        if chat_id is None:
            if chat_type != "private":
                raise ValueError("group messages need a chat_id")
            chat_id = user_id
        if chat_type == "private":
            chat = self._chat(
                chat_id, "private", first_name=user["first_name"], username=user.get("username")
            )
        else:
            chat = self._chat(chat_id, chat_type, title=title)
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id, message_id),
            "date": _to_timestamp(date),
            "chat": self._short_chat(chat),
            "from": dict(user),  # a copy: later builders may rename the registered user
            "text": text,
        }
        entities = auto_entities(text) if entities is None else entities
        if entities:
            msg["entities"] = entities
        if reply_to is not None:
            replied = (
                self._messages.get((chat_id, reply_to)) if isinstance(reply_to, int) else reply_to
            )
            if replied is None:
                raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
            msg["reply_to_message"] = self._without_reply(replied)
        msg.update(overrides)
        self._store(msg)
        return {"message": msg}

    def callback_query(
        self,
        data: str,
        *,
        chat_id: int | None = None,
        user_id: int = 1001,
        message_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = "en",
        username: str | None = None,
        first_name: str | None = None,
        query_id: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A ``callback_query`` Update for a button under a message in ``chat_id``.

        ``message_id`` defaults to the bot's last message in the chat; an id the fake never
        saw becomes a stored bot message without text, so edits of it work.
        """
        user = self._user(
            user_id, username=username, first_name=first_name, language_code=language_code
        )
        chat_id = user_id if chat_id is None else chat_id
        # A known chat keeps its type; chat_type only describes a chat seen for the first time.
        chat = self._chats.get(chat_id) or self._chat(chat_id, chat_type)
        if message_id is None:
            if chat_id not in self._last_bot_message:
                raise ValueError(f"the bot sent nothing to chat {chat_id}; pass message_id")
            message_id = self._last_bot_message[chat_id]
        message = self._messages.get((chat_id, message_id))
        if message is None:
            message = {
                "message_id": self._next_message_id(chat_id, message_id),
                "date": _to_timestamp(None),
                "chat": self._short_chat(chat),
                "from": self._bot_as_user(),
            }
            self._store(message)
        query_id = query_id or str(next(self._callback_counter) + 4_000_000_000_000_000_000)
        self._callback_ids.add(query_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": dict(user),
            "message": copy.deepcopy(message),
            "chat_instance": str(-abs(chat_id) * 7919),
            "data": data,
        }
        query.update(overrides)
        return {"callback_query": query}

    def _channel_message(
        self,
        text: str | None,
        *,
        chat_id: int,
        message_id: int | None,
        username: str | None,
        title: str | None,
        media_group_id: str | None,
        photo: list[dict[str, Any]] | bool | str | None,
        date: int | float | datetime | None,
        entities: list[dict[str, Any]] | None,
        overrides: dict[str, Any],
    ) -> dict[str, Any]:
        chat = self._short_chat(self._chat(chat_id, "channel", title=title, username=username))
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id, message_id),
            "date": _to_timestamp(date),
            "chat": chat,
            "sender_chat": chat,
        }
        if photo:
            if isinstance(photo, list):
                msg["photo"] = photo
            else:
                base = photo if isinstance(photo, str) else f"photo-{chat_id}-{msg['message_id']}"
                msg["photo"] = [
                    {
                        "file_id": f"{base}-{size}",
                        "file_unique_id": f"{base}-{size}-u",
                        "width": size,
                        "height": size * 3 // 4,
                        "file_size": size * 100,
                    }
                    for size in (90, 320, 800, 1280)
                ]
            if text is not None:
                msg["caption"] = text
                if entities:
                    msg["caption_entities"] = entities
        elif text is not None:
            msg["text"] = text
            if entities:
                msg["entities"] = entities
        if media_group_id is not None:
            msg["media_group_id"] = str(media_group_id)
        msg.update(overrides)
        return msg

    def channel_post(
        self,
        text: str | None = None,
        *,
        chat_id: int,
        message_id: int | None = None,
        username: str | None = None,
        title: str | None = None,
        media_group_id: str | None = None,
        photo: list[dict[str, Any]] | bool | str | None = None,
        date: int | float | datetime | None = None,
        entities: list[dict[str, Any]] | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A ``channel_post`` Update; with ``photo`` (True, a file-id base or PhotoSize list)
        the text becomes the caption. ``message_id`` defaults to the channel's next id."""
        msg = self._channel_message(
            text,
            chat_id=chat_id,
            message_id=message_id,
            username=username,
            title=title,
            media_group_id=media_group_id,
            photo=photo,
            date=date,
            entities=entities,
            overrides=overrides,
        )
        self._store(msg)
        return {"channel_post": msg}

    def edited_channel_post(
        self,
        text: str | None = None,
        *,
        chat_id: int,
        message_id: int,
        username: str | None = None,
        title: str | None = None,
        media_group_id: str | None = None,
        photo: list[dict[str, Any]] | bool | str | None = None,
        date: int | float | datetime | None = None,
        edit_date: int | float | datetime | None = None,
        entities: list[dict[str, Any]] | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """An ``edited_channel_post`` Update; ``date`` defaults to the original post's."""
        original = self._messages.get((chat_id, message_id))
        if date is None and original is not None:
            date = original["date"]
        msg = self._channel_message(
            text,
            chat_id=chat_id,
            message_id=message_id,
            username=username,
            title=title,
            media_group_id=media_group_id,
            photo=photo,
            date=date,
            entities=entities,
            overrides=overrides,
        )
        msg["edit_date"] = _to_timestamp(edit_date)
        self._store(msg)
        return {"edited_channel_post": msg}

    def my_chat_member(
        self,
        *,
        chat_id: int,
        user_id: int = 1001,
        new_status: str = "member",
        old_status: str = "left",
        chat_type: str | None = None,
        title: str | None = None,
        date: int | float | datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A ``my_chat_member`` Update: ``user_id`` changed the bot's status in ``chat_id``.

        A private chat with new_status="kicked" is how Telegram reports a blocked bot.
        """
        chat = self._chat(chat_id, chat_type, title=title)
        bot = self._bot_as_user()
        change: dict[str, Any] = {
            "chat": self._short_chat(chat),
            "from": self._lookup_user(user_id),
            "date": _to_timestamp(date),
            "old_chat_member": self._member(bot, old_status),
            "new_chat_member": self._member(bot, new_status),
        }
        change.update(overrides)
        return {"my_chat_member": change}

    @staticmethod
    def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
            member.update(can_be_edited=False, is_anonymous=False)
        elif status == "restricted":
            member.update(dict.fromkeys(_RESTRICTED_FLAGS, False))
            member.update(is_member=True, until_date=0)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    @staticmethod
    def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
        # Telegram does not nest replies more than one level deep.
        return {k: v for k, v in message.items() if k != "reply_to_message"}

    def _store(self, message: dict[str, Any]) -> None:
        # Copied so a test mutating its update dict cannot change what the fake remembers.
        key = (message["chat"]["id"], message["message_id"])
        self._messages[key] = copy.deepcopy(message)

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current state (after edits and deletes) of the bot's messages in a chat."""
        bot_id = self.bot_user["id"]
        return [
            m
            for (chat, _), m in self._messages.items()
            if chat == chat_id and m.get("from", {}).get("id") == bot_id
        ]

    # --- methods ------------------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook_url:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:  # omitted: keep the previous setting, like Telegram
            self._allowed_updates = frozenset(params["allowed_updates"]) or None
        offset = params.get("offset")
        if isinstance(offset, int) and offset != 0:
            updates = self._updates
            if offset > 0:
                while updates and updates[0]["update_id"] < offset:
                    updates.popleft()
            else:
                while len(updates) > -offset:
                    updates.popleft()
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(int(params.get("timeout") or 0), 0), 50)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            # Long poll: sleep until add_update() or stop(); no busy loop.
            self._update_added.clear()
            try:
                await asyncio.wait_for(self._update_added.wait(), remaining)
            except TimeoutError:
                return []

    def _take(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._allowed_updates
        batch = []
        for update in self._updates:
            kind = next(k for k in update if k != "update_id")
            if (kind in allowed) if allowed is not None else (kind not in _OPT_IN_UPDATES):
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = params.get("url") or ""
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("parameter commands is invalid")
        for command in commands:
            if not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("command description is empty or too long")
        self._commands[self._commands_key(params)] = commands
        return True

    def _text_setter(self, field: str, limit: int) -> Handler:
        """setMyDescription/setMyShortDescription: up to `limit` characters per language."""

        def handle(params: dict[str, Any]) -> bool:
            text = str(params.get(field) or "")
            if len(text) > limit:
                raise _bad_request(f"{field} is too long")
            self.bot_texts[(field, params.get("language_code") or "")] = text
            return True

        return handle

    def _text_getter(self, field: str) -> Handler:
        def handle(params: dict[str, Any]) -> dict[str, str]:
            return {field: self.bot_texts.get((field, params.get("language_code") or ""), "")}

        return handle

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _resolve_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, int):
            return self._chat(chat_id)
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            known = self._chats_by_username.get(chat_id[1:].lower())
            if known is not None:
                return self._chats[known]
            raise _bad_request("chat not found")
        raise _bad_request("chat_id is empty" if chat_id is None else "chat not found")

    @staticmethod
    def _render(params: dict[str, Any], too_long: str) -> tuple[str, list[dict[str, Any]]]:
        """Text and entities as Telegram stores them; raises Telegram's 400s."""
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        parse_mode = str(params.get("parse_mode") or "").lower()
        if parse_mode == "html":
            text, entities = parse_html(text)
        elif parse_mode in ("", "markdown", "markdownv2"):  # Markdown is not parsed here
            entities = list(params.get("entities") or [])
        else:
            raise _bad_request(f"unsupported parse_mode {params['parse_mode']!r}")
        if not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:  # code points, as tdlib counts them
            raise _bad_request(too_long)
        return text, entities

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        text, entities = self._render(params, "message is too long")
        chat_id = chat["id"]
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": _to_timestamp(None),
            "chat": self._short_chat(chat),
            "text": text,
        }
        if chat["type"] == "channel":
            msg["sender_chat"] = msg["chat"]
        else:
            msg["from"] = self._bot_as_user()
        if entities:
            msg["entities"] = entities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup  # only inline keyboards come back in the Message
        if "message_thread_id" in params:
            msg["message_thread_id"] = params["message_thread_id"]
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]}
            if "reply_to_message_id" in params
            else None
        )
        if reply:
            replied = self._messages.get((chat_id, int(reply.get("message_id") or 0)))
            if replied is not None:
                msg["reply_to_message"] = self._without_reply(replied)
            elif not (
                reply.get("allow_sending_without_reply")
                or params.get("allow_sending_without_reply")
            ):
                raise _bad_request("message to be replied not found")
        self._messages[(chat_id, msg["message_id"])] = msg
        self._last_bot_message[chat_id] = msg["message_id"]
        self._sent.append(params)
        self._sent_by_chat[chat_id].append(params)
        return msg

    def _message_key(self, params: dict[str, Any]) -> tuple[int, int]:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        return chat["id"], message_id

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._messages.get(self._message_key(params))
        if msg is None:
            raise _bad_request("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_user["id"] and "sender_chat" not in msg:
            raise _bad_request("message can't be edited")
        return msg

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        text, entities = self._render(params, "MESSAGE_TOO_LONG")
        if "inline_message_id" in params:
            return True
        msg = self._editable(params)
        markup = params.get("reply_markup")  # omitted: the inline keyboard is removed
        if (
            msg.get("text") == text
            and msg.get("entities", []) == entities
            and msg.get("reply_markup") == markup
        ):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg["text"] = text
        self._set_optional(msg, "entities", entities or None)
        self._set_optional(msg, "reply_markup", markup)
        msg["edit_date"] = _to_timestamp(None)
        return msg

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        msg = self._editable(params)
        markup = params.get("reply_markup")
        if msg.get("reply_markup") == markup:
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._set_optional(msg, "reply_markup", markup)
        msg["edit_date"] = _to_timestamp(None)
        return msg

    @staticmethod
    def _set_optional(msg: dict[str, Any], key: str, value: Any) -> None:
        if value:
            msg[key] = value
        else:
            msg.pop(key, None)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        if self._messages.pop(self._message_key(params), None) is None:
            raise _bad_request("message to delete not found")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if params.get("callback_query_id") not in self._callback_ids:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._resolve_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        return {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
            **chat,
        }

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("invalid user_id specified")
        status = self._members.get(chat["id"], {}).get(user_id, "member")
        return self._member(self._lookup_user(user_id), status)

    def _get_chat_administrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        return [
            self._member(self._lookup_user(user_id), status)
            for user_id, status in self._members.get(chat["id"], {}).items()
            if status in ("creator", "administrator")
        ]

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file = self._files.get(params.get("file_id") or "")
        if file is None:
            raise _bad_request("invalid file_id")
        return file


async def call_raw(
    base_url: str, method: str, data: Mapping[str, Any] | None = None, *, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """POST a form to the fake without aiogram (for protocol-level tests); (status, body)."""
    token = token or f"{DEFAULT_BOT_ID}:TEST-token"
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base_url}/bot{token}/{method}", data=data or {}) as resp,
    ):
        return resp.status, await resp.json()


__all__ = [
    "MAX_TEXT_LENGTH",
    "NOT_MODIFIED",
    "BotAPIError",
    "Call",
    "FakeBotAPI",
    "UploadedFile",
    "auto_entities",
    "call_raw",
    "decode_params",
    "parse_html",
    "utf16_len",
]
