"""Filters shared by routers."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
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


async def sender_may_manage(bot: Bot, event: Message | CallbackQuery) -> bool:
    """Whether whoever sent the message (or pressed the button) may change this chat's settings."""
    message = event.message if isinstance(event, CallbackQuery) else event
    if not isinstance(message, Message):
        return False
    user_id = event.from_user.id if event.from_user else None
    return await may_manage_chat(bot, message.chat.id, message.chat.type, user_id)


async def is_channel_member(bot: Bot, user_id: int | None, channel_id: int) -> bool:
    """Whether Telegram says the user belongs to the channel (False when it cannot tell)."""
    if user_id is None:
        return False
    try:
        member = await bot.get_chat_member(channel_id, user_id)
    except TelegramAPIError:  # the bot is not in that chat, the chat is gone, ...
        return False
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in {
        ChatMemberStatus.CREATOR,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.MEMBER,
    }


def command_args(message: Message) -> str:
    """The text after a /command (empty when none)."""
    text = message.text or ""
    _, _, rest = text.partition(" ")
    return rest.strip()
