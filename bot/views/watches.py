"""How keyword watches look in Telegram: hit messages with highlighted words, the /watch list."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.formatting import echo, escape, link, pack_blocks, short_date
from bot.texts import t
from core.text.stems import stem
from core.watches.models import Watch, WatchHit

SNIPPET_LENGTH = 500  # characters of a post shown in a hit
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)


class UnwatchCallback(CallbackData, prefix="unwatch"):
    """The "remove" button of one watch in the /watch list."""

    watch_id: int


def highlight(text: str, stems: frozenset[str]) -> str:
    """Escaped text with every word whose stem is watched in <b>."""
    pieces = []
    last = 0
    for match in _WORD.finditer(text):
        word = match.group()
        if stem(word.lower().replace("ё", "е")) in stems:
            pieces.append(escape(text[last : match.start()]))
            pieces.append(f"<b>{escape(word)}</b>")
            last = match.end()
    pieces.append(escape(text[last:]))
    return "".join(pieces)


def _snippet(text: str, stems: frozenset[str]) -> str:
    """Up to SNIPPET_LENGTH characters around the first watched word, on word boundaries."""
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_LENGTH:
        return flat
    first = next(
        (
            m.start()
            for m in _WORD.finditer(flat)
            if stem(m.group().lower().replace("ё", "е")) in stems
        ),
        0,
    )
    start = max(0, first - SNIPPET_LENGTH // 3)
    start = flat.rfind(" ", 0, start) + 1 if start else 0
    cut = flat[start : start + SNIPPET_LENGTH]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut
    return ("…" if start else "") + cut + "…"


def _hit_block(lang: str, hit: WatchHit) -> str:
    post = hit.post
    source = link(post.url, post.channel_name) if post.url else escape(post.channel_name)
    return t(
        lang,
        "watch_hit",
        source=source,
        date=short_date(post.date),
        watches=", ".join(f"<code>{echo(expression)}</code>" for expression in hit.expressions),
        text=highlight(_snippet(post.text, hit.stems), hit.stems),
    )


def render_hits(lang: str, hits: Sequence[WatchHit]) -> list[str]:
    """One message for one post; several posts grouped under a header, split between posts."""
    blocks = [_hit_block(lang, hit) for hit in hits]
    if len(blocks) > 1:
        blocks.insert(0, t(lang, "watch_hits_header", count=len(blocks)))
    return pack_blocks(blocks)


def watch_list(
    lang: str, watches: Sequence[Watch], limit: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The chat's watches numbered, with a remove button each."""
    if not watches:
        return t(lang, "watch_none"), None
    lines = [t(lang, "watch_list_header", count=len(watches), limit=limit)]
    builder = InlineKeyboardBuilder()
    for number, watch in enumerate(watches, start=1):
        lines.append(f"{number}. <code>{echo(watch.expression, 100)}</code>")
        builder.button(
            text=t(lang, "watch_remove_button", number=number),
            callback_data=UnwatchCallback(watch_id=watch.id),
        )
    builder.adjust(4)
    lines.append(t(lang, "watch_list_footer"))
    return "\n".join(lines), builder.as_markup()
