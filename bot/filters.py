"""Router-level checks shared by features: the bot's admins, and who may manage a chat.

- `IsAdmin`: a filter; admin routers (`admin_router()`) apply it to every handler, and
  what it rejects falls through to the feature's refusal handlers.
- `ChatManagersOnly`: handlers flagged `managers_only(refusal)` run only for those who may
  manage the chat (anyone in a private chat, administrators in a group); everyone else gets
  the refusal text and the update stops there. It runs once a handler matched, so a handler
  that first checks its arguments declares the arguments in its filters (`HasArgs`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.texts import t

MANAGERS_ONLY = "managers_only"


class IsAdmin(BaseFilter):
    """The sender is one of the bot's administrators (ADMIN_IDS)."""

    async def __call__(self, event: Message | CallbackQuery, admin_ids: frozenset[int]) -> bool:
        user = event.from_user
        return user is not None and user.id in admin_ids


class NotACommand(BaseFilter):
    """Not a /command: commands keep working while the bot waits for an answer."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


def admin_router(name: str) -> Router:
    """A router whose every message and button handler is for the bot's admins only."""
    router = Router(name=name)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    return router


def managed_router(name: str) -> Router:
    """A router that honours `managers_only` flags on its message and button handlers."""
    router = Router(name=name)
    router.message.middleware(ChatManagersOnly())
    router.callback_query.middleware(ChatManagersOnly())
    return router


class HasArgs(BaseFilter):
    """The command has text after it (`/subscribe @name`, not `/subscribe`)."""

    async def __call__(self, message: Message) -> bool:
        return bool(command_args(message))


class FirstArgument(BaseFilter):
    """The command's first word after it is one of `words` (`/alerts why`, `/digest now`)."""

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words

    async def __call__(self, message: Message) -> bool:
        first, _, _ = command_args(message).lower().partition(" ")
        return first in self.words


def managers_only(refusal: str) -> dict[str, str]:
    """Handler flags: only those who may manage the chat; others get the text `refusal`."""
    return {MANAGERS_ONLY: refusal}


class ChatManagersOnly(BaseMiddleware):
    """Runs handlers flagged `managers_only` only for those who may manage the chat."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        refusal = get_flag(data, MANAGERS_ONLY)
        if refusal is None or await _may_manage(data["bot"], event):
            return await handler(event, data)
        text = t(data["lang"], refusal)
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
        return None


async def _may_manage(bot: Bot, event: TelegramObject) -> bool:
    if isinstance(event, CallbackQuery):
        message = event.message
        if message is None:
            return False
        return await may_manage_chat(bot, message.chat.id, message.chat.type, event.from_user.id)
    if isinstance(event, Message):
        user_id = event.from_user.id if event.from_user else None
        return await may_manage_chat(bot, event.chat.id, event.chat.type, user_id)
    return False


async def may_manage_chat(bot: Bot, chat_id: int, chat_type: str, user_id: int | None) -> bool:
    """In private chats anyone; in groups only the group's administrators."""
    if chat_type == ChatType.PRIVATE:
        return True
    if user_id is None:
        return False
    member = await bot.get_chat_member(chat_id, user_id)
    return member.status in {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


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
    """The text after a /command, split off on any whitespace as aiogram's `CommandObject.args`
    does (a newline after `/ask` counts); empty when none."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
