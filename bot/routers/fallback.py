"""Buttons no other router takes: answered, so the user's client stops waiting."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.texts import t


async def inactive_button(query: CallbackQuery, lang: str) -> None:
    """Tell the user an old, foreign or unknown button does nothing (reveals nothing else)."""
    await query.answer(t(lang, "button_inactive"))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.callback_query.register(inactive_button)
    return router
