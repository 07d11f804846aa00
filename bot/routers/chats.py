"""Service updates about the chat itself: group → supergroup migration, the bot added or removed."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated, Message

from core.chats.service import ChatLifecycle

GONE = {ChatMemberStatus.KICKED, ChatMemberStatus.LEFT}


async def migrated_to(message: Message, chat_lifecycle: ChatLifecycle) -> None:
    """The old group says where it went: move its tenant to the supergroup."""
    assert message.migrate_to_chat_id is not None
    await chat_lifecycle.migrated(message.chat.id, message.migrate_to_chat_id)


async def migrated_from(message: Message, chat_lifecycle: ChatLifecycle) -> None:
    """The new supergroup says where it came from: move the old group's tenant here."""
    assert message.migrate_from_chat_id is not None
    await chat_lifecycle.migrated(message.migrate_from_chat_id, message.chat.id)


async def bot_membership(update: ChatMemberUpdated, chat_lifecycle: ChatLifecycle) -> None:
    """The bot was removed or blocked (its channels stop polling), or added back."""
    if update.chat.type == "channel":
        return
    present = update.new_chat_member.status not in GONE
    await chat_lifecycle.set_present(update.chat.id, present)


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.message.register(migrated_to, F.migrate_to_chat_id)
    router.message.register(migrated_from, F.migrate_from_chat_id)
    router.my_chat_member.register(bot_membership)
    return router
