"""Sending replies that respect Telegram's message limit."""

from __future__ import annotations

import structlog
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, Message

from bot.formatting import split_html

log = structlog.get_logger(__name__)


async def answer_long(
    message: Message, html_text: str, *, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send HTML split into ≤4096-character parts; link previews off; keyboard on the last part."""
    parts = split_html(html_text)
    sent = []
    for number, part in enumerate(parts, start=1):
        sent.append(
            await message.answer(
                part,
                disable_web_page_preview=True,
                reply_markup=reply_markup if number == len(parts) else None,
            )
        )
    return sent


async def edit_in_place(
    message: Message, html_text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a message (its first ≤4096-character part); one Telegram won't edit is left as is."""
    try:
        await message.edit_text(
            split_html(html_text)[0], reply_markup=markup, disable_web_page_preview=True
        )
    except TelegramBadRequest as error:  # too old, or unchanged
        log.info("edit_skipped", reason=error.message)
