"""/start and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.texts import t

router = Router(name=__name__)


@router.message(CommandStart())
async def start(message: Message, lang: str) -> None:
    """Onboarding: what the bot does and how to begin."""
    await message.answer(t(lang, "start"))


@router.message(Command("help"))
async def help_command(message: Message, lang: str) -> None:
    """List every command."""
    await message.answer(t(lang, "help"))
