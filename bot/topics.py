"""`/alerts here`, `/digest here`, `/watch here`: a feature's messages go to this forum topic."""

from __future__ import annotations

from typing import Protocol

from aiogram.types import Message

from bot.texts import t
from core.delivery.ports import ThreadRepository
from core.models import Tenant
from core.ports import Transaction

HERE = frozenset({"here", "тут", "здесь"})


class TopicsUnitOfWork(Transaction, Protocol):
    """Where each feature of a chat posts."""

    @property
    def threads(self) -> ThreadRepository: ...


async def choose_topic(
    message: Message, uow: TopicsUnitOfWork, tenant: Tenant, lang: str, feature: str
) -> None:
    """Send `feature`'s messages to the topic the command was typed in (routers let only the
    chat's managers get here)."""
    if not message.is_topic_message or message.message_thread_id is None:
        await message.answer(t(lang, "here_not_topic"))
        return
    await uow.threads.set(tenant.id, feature, message.message_thread_id)
    await uow.commit()
    await message.answer(t(lang, f"here_set_{feature}"))
