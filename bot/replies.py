"""Sending replies that respect Telegram's message limit."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, Message

from bot.formatting import split_html


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
