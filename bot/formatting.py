"""HTML for Telegram: escaping, and splitting long replies without breaking tags."""

from __future__ import annotations

import html
import re
from datetime import datetime

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")
# Preferred split points, best first: paragraph, line, sentence end, word boundary.
_BOUNDARIES = (
    re.compile(r"\n\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…](?=\s)"),
    re.compile(r"\s"),
)


def escape(text: object) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(str(text), quote=True)


def echo(text: object, limit: int = 64) -> str:
    """User input repeated in a reply: escaped and cut, so hostile input can't bloat the reply."""
    raw = str(text)
    return escape(raw if len(raw) <= limit else raw[: limit - 1] + "…")


def link(url: str, label: str) -> str:
    """An escaped HTML link."""
    return f'<a href="{escape(url)}">{escape(label)}</a>'


def short_date(moment: datetime | None) -> str:
    """A compact UTC date for lists."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def visible_length(fragment: str) -> int:
    """Length Telegram counts: text without tags, entities unescaped."""
    return len(html.unescape(_TAG.sub("", fragment)))


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into messages of at most `limit` characters on sensible boundaries.

    Tags open at a split are closed at the end of one part and reopened at the start of the
    next, and no split falls inside a tag or an entity.
    """
    parts: list[str] = []
    reopen = ""
    rest = text
    budget = limit - 200  # room for closing and reopening tags
    while rest:
        if len(reopen) + len(rest) <= limit:
            parts.append(reopen + rest)
            break
        cut = _cut_point(rest, max(budget - len(reopen), 100))
        head, rest = rest[:cut], rest[cut:].lstrip()
        open_tags = _open_tags(reopen + head)
        closing = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        parts.append((reopen + head).rstrip() + closing)
        reopen = "".join(opening for _, opening in open_tags)
    return [part for part in parts if visible_length(part) > 0 or "<" in part]


def _cut_point(text: str, budget: int) -> int:
    window = text[:budget]
    for pattern in _BOUNDARIES:
        ends = [match.end() for match in pattern.finditer(window)]
        safe = [end for end in ends if end > budget // 3 and _safe(text, end)]
        if safe:
            return safe[-1]
    end = budget
    while end > 1 and not _safe(text, end):
        end -= 1
    return end


def _safe(text: str, index: int) -> bool:
    """True when index is neither inside a tag nor inside an &entity;."""
    last_lt, last_gt = text.rfind("<", 0, index), text.rfind(">", 0, index)
    if last_lt > last_gt:
        return False
    last_amp = text.rfind("&", 0, index)
    return not (last_amp != -1 and ";" not in text[last_amp:index] and index - last_amp < 10)


def _open_tags(fragment: str) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(fragment):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for position in range(len(stack) - 1, -1, -1):
                if stack[position][0] == name:
                    del stack[position]
                    break
        else:
            stack.append((name, match.group(0)))
    return stack


_ANCHOR = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_CITATION_LABEL = re.compile(r"\[?\d+\]?")


def html_to_text(fragment: str) -> str:
    """Plain text of our HTML for terminals: links become `label (url)`, citations stay `[n]`."""

    def anchor(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)  # both unescaped once, below
        return label if _CITATION_LABEL.fullmatch(label) else f"{label} ({url})"

    return html.unescape(_TAG.sub("", _ANCHOR.sub(anchor, fragment)))


def pack_blocks(
    blocks: list[str], limit: int = TELEGRAM_LIMIT, separator: str = "\n\n"
) -> list[str]:
    """Messages of whole blocks (stories, posts) up to `limit` each; a block too long for one
    message alone is split on its own sensible boundaries."""
    parts: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}{separator}{block}" if current else block
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        if len(block) <= limit:
            current = block
        else:
            *whole, current = split_html(block, limit)
            parts.extend(whole)
    if current:
        parts.append(current)
    return parts
