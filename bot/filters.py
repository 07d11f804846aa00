"""Filters shared by routers."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message


class IsAdmin(BaseFilter):
    """The sender is one of the bot's administrators (ADMIN_IDS)."""

    async def __call__(self, event: Message | CallbackQuery, admin_ids: frozenset[int]) -> bool:
        user = event.from_user
        return user is not None and user.id in admin_ids


async def may_manage_chat(bot: Bot, chat_id: int, chat_type: str, user_id: int | None) -> bool:
    """In private chats anyone; in groups only the group's administrators."""
    if chat_type == ChatType.PRIVATE:
        return True
    if user_id is None:
        return False
    member = await bot.get_chat_member(chat_id, user_id)
    return member.status in {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


def command_args(message: Message) -> str:
    """The text after a /command (empty when none)."""
    text = message.text or ""
    _, _, rest = text.partition(" ")
    return rest.strip()
