"""/start, /help and /cancel."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.texts import t


async def start(message: Message, lang: str) -> None:
    """Onboarding: what the bot does and how to begin."""
    await message.answer(t(lang, "start"))


async def help_command(message: Message, bot: Bot, lang: str, admin_ids: frozenset[int]) -> None:
    """List every command, how to ask in groups, and for the bot's admins their commands."""
    me = await bot.me()
    text = t(lang, "help", bot=me.username or "bot")
    if message.from_user is not None and message.from_user.id in admin_ids:
        text += t(lang, "help_admin")
    await message.answer(text)


async def cancel(message: Message, lang: str, state: FSMContext | None = None) -> None:
    """Leave whatever the bot asked for (a channel, a question, a topic)."""
    if state is None or await state.get_state() is None:
        await message.answer(t(lang, "nothing_to_cancel"), reply_markup=ReplyKeyboardRemove())
        return
    await state.clear()
    await message.answer(t(lang, "cancelled"), reply_markup=ReplyKeyboardRemove())


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(cancel, Command("cancel"))
    return router
