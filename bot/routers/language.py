"""/lang en|ru: the chat's language, stored per chat; it then wins over each user's client."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import command_args, may_manage_chat
from bot.texts import LANGUAGES, t
from core.models import Tenant
from core.ports import UnitOfWork

router = Router(name=__name__)


@router.message(Command("lang"))
async def set_language(
    message: Message, bot: Bot, uow: UnitOfWork, tenant: Tenant, lang: str
) -> None:
    """Show how to choose, or store the chat's language (in groups: administrators only)."""
    choice = command_args(message).lower()[:8]
    if choice not in LANGUAGES:
        await message.answer(t(lang, "lang_usage", current=t(lang, "language_name")))
        return
    user_id = message.from_user.id if message.from_user else None
    if not await may_manage_chat(bot, message.chat.id, message.chat.type, user_id):
        await message.answer(t(lang, "lang_admins_only"))
        return
    await uow.tenants.set_language(tenant.id, choice)
    await uow.commit()
    await message.answer(t(choice, "lang_set"))
