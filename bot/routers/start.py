"""/start and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.texts import t


async def start(message: Message, lang: str) -> None:
    """Onboarding: what the bot does and how to begin."""
    await message.answer(t(lang, "start"))


async def help_command(message: Message, lang: str) -> None:
    """List every command."""
    await message.answer(t(lang, "help"))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    return router
