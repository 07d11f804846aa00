"""Understanding what a user typed to name a channel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import InvalidChannelName

# Telegram usernames: ASCII letters, digits and underscores, a letter first, no underscore last.
# Ordinary names have 5–32 characters; collectible ones (Fragment) may have 4, and t.me serves
# both, so 4–32 pass.
USERNAME = r"[A-Za-z][A-Za-z0-9_]{2,30}[A-Za-z0-9]"
USERNAME_PATTERN = re.compile(f"^{USERNAME}$")
USERNAME_RULE = (
    "a channel username has 4–32 letters, digits or underscores, "
    "starts with a letter and does not end with an underscore"
)
_TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog", "www.t.me"}
_RESERVED_PATHS = {"s", "c", "joinchat", "addstickers", "share", "proxy", "socks", "iv"}


def bot_api_channel_id(bare_id: int) -> int:
    """Exports and the web preview carry a channel's bare id; the Bot API says -100<id>."""
    return bare_id if bare_id < 0 else -(10**12 + bare_id)


@dataclass(frozen=True, slots=True)
class ChannelName:
    """A channel named by public username or, for private channels, by Telegram id."""

    username: str | None = None
    telegram_id: int | None = None

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else str(self.telegram_id)


def parse_channel_name(text: str) -> ChannelName:
    """Parse `@name`, `name`, `t.me/name`, `https://t.me/s/name`, a post link, or `-100…` id."""
    raw = text.strip()
    if not raw:
        raise InvalidChannelName("no channel name given")
    if len(raw) > 200:
        raise InvalidChannelName("that is too long to be a channel name")
    if re.fullmatch(r"-100\d{5,15}", raw):
        return ChannelName(telegram_id=int(raw))
    if raw.startswith("@"):
        return ChannelName(username=_checked(raw[1:]))
    candidate = raw if "://" in raw else f"https://{raw}"
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. an unbalanced "[" reads as a broken IPv6 host
        raise InvalidChannelName("only t.me links and @usernames name Telegram channels") from None
    host = (parts.hostname or "").lower()
    if host in _TELEGRAM_HOSTS:
        return _from_path(parts.path)
    if "/" in raw or "." in raw:
        raise InvalidChannelName("only t.me links and @usernames name Telegram channels")
    return ChannelName(username=_checked(raw))


def _from_path(path: str) -> ChannelName:
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        raise InvalidChannelName("the link names no channel")
    first = segments[0]
    if first.startswith("+") or first == "joinchat":
        raise InvalidChannelName("private invite links cannot be followed; add the bot as admin")
    if first == "c" and len(segments) > 1 and re.fullmatch(r"[0-9]{1,15}", segments[1]):
        return ChannelName(telegram_id=-(10**12 + int(segments[1])))
    if first == "s" and len(segments) > 1:
        first = segments[1]
    elif first.lower() in _RESERVED_PATHS:
        raise InvalidChannelName("the link names no channel")
    return ChannelName(username=_checked(first))


def is_username(text: object) -> bool:
    """Whether a text is a well-formed Telegram username (the one rule every reader uses)."""
    return isinstance(text, str) and USERNAME_PATTERN.fullmatch(text) is not None


def _checked(username: str) -> str:
    if not is_username(username):
        raise InvalidChannelName(USERNAME_RULE)
    return username.lower()
