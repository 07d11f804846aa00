"""`/alerts here`, `/digest here`, `/watch here`: a feature's messages go to this forum topic."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message

from bot.filters import sender_may_manage
from bot.texts import t
from core.models import Tenant
from core.ports import UnitOfWork

HERE = frozenset({"here", "тут", "здесь"})


async def choose_topic(
    message: Message, bot: Bot, uow: UnitOfWork, tenant: Tenant, lang: str, feature: str
) -> None:
    """Send `feature`'s messages to the topic the command was typed in (admins only)."""
    if not await sender_may_manage(bot, message):
        await message.answer(t(lang, "admins_only_settings"))
        return
    if not message.is_topic_message or message.message_thread_id is None:
        await message.answer(t(lang, "here_not_topic"))
        return
    await uow.threads.set(tenant.id, feature, message.message_thread_id)
    await uow.commit()
    await message.answer(t(lang, f"here_set_{feature}"))
