"""What Telegram accepts from a bot: HTML parse mode, text and callback-data limits.

Independent of the fake Bot API's own checks (tests/fakes/bot_api.py), so a bug in one is
caught by the other. Used by the fuzz, isolation and secrets tests.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from tests.fakes.bot_api import Call

MAX_TEXT = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_BUTTON_TEXT = 64 * 4  # generous: Telegram trims long labels, it does not reject them

# Telegram's HTML: these tags, with these attributes only.
_ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
_NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})
_ENTITY = re.compile(r"&(#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[a-zA-Z]+;)")


class InvalidForTelegram(AssertionError):
    """A request Telegram would refuse (or render wrongly)."""


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _ALLOWED_ATTRIBUTES.get(tag)
        if allowed is None:
            raise InvalidForTelegram(f"unsupported tag <{tag}>")
        for name, _value in attrs:
            if name not in allowed:
                raise InvalidForTelegram(f"unsupported attribute {name!r} on <{tag}>")
        if tag == "a" and not dict(attrs).get("href"):
            raise InvalidForTelegram("<a> without href")
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise InvalidForTelegram("<span> other than class=tg-spoiler")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise InvalidForTelegram(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise InvalidForTelegram(f"</{tag}> does not close the open tag {self.stack[-1:]}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise InvalidForTelegram(f"unescaped '<' in {data[:40]!r}")
        self.visible.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            raise InvalidForTelegram(f"unsupported entity &{name};")
        self.visible.append("x")

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        if not 0 < code <= 0x10FFFF:
            raise InvalidForTelegram(f"invalid character reference &#{name};")
        self.visible.append("x")

    def handle_comment(self, data: str) -> None:
        raise InvalidForTelegram("HTML comment")

    def handle_decl(self, decl: str) -> None:
        raise InvalidForTelegram("HTML declaration")

    def handle_pi(self, data: str) -> None:
        raise InvalidForTelegram("processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise InvalidForTelegram("unknown declaration")


def check_markup(text: str) -> str:
    """Raise InvalidForTelegram unless `text` is well-formed Telegram HTML; return its visible text."""
    # Every "&" must start a complete entity (the parser forgives a bare "&").
    for match in re.finditer("&", text):
        if not _ENTITY.match(text, match.start()):
            raise InvalidForTelegram(f"bare '&' at {match.start()}: {text[match.start() :][:20]!r}")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.rawdata:  # something the parser could not make sense of, e.g. "<" at the end
        raise InvalidForTelegram(f"unparsed trailing text {checker.rawdata[:40]!r}")
    if checker.stack:
        raise InvalidForTelegram(f"unclosed tags {checker.stack}")
    return "".join(checker.visible)


def check_html(text: str) -> int:
    """Raise InvalidForTelegram unless `text` is a valid, non-empty message; return its visible length."""
    visible = check_markup(text)
    if not visible.strip():
        raise InvalidForTelegram("empty text")
    return len(visible)


def _check_keyboard(markup: Any) -> None:
    if not markup:
        return
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(data.encode()) > MAX_CALLBACK_DATA_BYTES:
                raise InvalidForTelegram(f"callback_data over 64 bytes: {data[:80]!r}")
            if not str(button.get("text", "")).strip():
                raise InvalidForTelegram("button without text")


def check_call(call: Call) -> None:
    """Raise InvalidForTelegram if a request the bot made would be refused by Telegram."""
    params = call.params
    if call.method in ("sendMessage", "editMessageText"):
        text = params.get("text")
        if not isinstance(text, str):
            raise InvalidForTelegram(f"{call.method} without text")
        if str(params.get("parse_mode") or "").lower() == "html":
            length = check_html(text)
        else:
            length = len(text)
            if not text.strip():
                raise InvalidForTelegram("empty text")
        if length > MAX_TEXT:
            raise InvalidForTelegram(f"{call.method} text of {length} characters")
        _check_keyboard(params.get("reply_markup"))
    elif call.method == "editMessageReplyMarkup":
        _check_keyboard(params.get("reply_markup"))
    elif (
        call.method == "answerCallbackQuery" and len(params.get("text") or "") > MAX_CALLBACK_ANSWER
    ):
        raise InvalidForTelegram("callback answer over 200 characters")


def check_calls(calls: list[Call]) -> None:
    """Every call is valid and Telegram (the fake) accepted it."""
    for call in calls:
        check_call(call)
        if call.method in ("sendMessage", "editMessageText") and call.status >= 400:
            raise InvalidForTelegram(f"{call.method} refused: {call.response}")
