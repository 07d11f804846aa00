"""Filters a user can put in front of a question: `@channel` and a recency window like `7d`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from core.channels.names import USERNAME

# A window is a number and a unit: h/ч hours, d/д days, w/н weeks (e.g. 24h, 7d, 2w, 3д).
_WINDOW = re.compile(r"^([1-9]\d{0,3})\s*([hdwчдн])$", re.IGNORECASE)
_UNITS = {"h": "hours", "ч": "hours", "d": "days", "д": "days", "w": "weeks", "н": "weeks"}
_MAX_WINDOW = timedelta(days=3650)
# @name, t.me/name or https://t.me/s/name, with the one username rule of core.channels.names.
_CHANNEL = re.compile(rf"^(?:@|(?:https?://)?t\.me/(?:s/)?)({USERNAME})/?[,;:]?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """The question text and the filters given before it."""

    text: str
    channels: tuple[str, ...] = ()  # lower-case usernames without "@"
    window: timedelta | None = None

    @property
    def filtered(self) -> bool:
        """Whether any filter was given."""
        return bool(self.channels) or self.window is not None


def parse_question(raw: str) -> ParsedQuestion:
    """Split leading `@channel` and window tokens (any order, any number) from the question.

    Only leading tokens are filters, so "what did @durov say" keeps its mention as words.
    """
    tokens = raw.split()
    channels: list[str] = []
    window: timedelta | None = None
    position = 0
    while position < len(tokens):
        token = tokens[position]
        channel = _CHANNEL.match(token)
        span = _WINDOW.match(token)
        if channel:
            name = channel.group(1).lower()
            if name not in channels:
                channels.append(name)
        elif span:
            unit = _UNITS[span.group(2).lower()]
            window = min(timedelta(**{unit: int(span.group(1))}), _MAX_WINDOW)
        else:
            break
        position += 1
    return ParsedQuestion(" ".join(tokens[position:]), tuple(channels), window)
