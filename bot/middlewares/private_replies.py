"""Personal answers go to the sender's private chat, never into a group.

Admin output (/quota, /dlq: every chat's usage, failed work) and a user's interests are not
for a group's eyes. Typed in a group, the handler runs as if the command came from the
sender's private chat (its replies land there) and the group gets one short note; a sender
who never started the bot (Telegram forbids writing first) is told how to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Chat, Message, TelegramObject

from bot.formatting import escape
from bot.texts import t

log = structlog.get_logger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


async def bot_link(bot: Bot) -> str:
    """The bot's t.me link (opens the private chat)."""
    me = await bot.me()
    return f"https://t.me/{me.username}"


class RepliesInPrivate(BaseMiddleware):
    """Inner message middleware: in groups, run the handler for the sender's private chat.

    On an admin router (bot/filters.admin_router) only admins reach it: anyone else's /quota
    is refused where it was typed, and the refusal says nothing private.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        """Redirect a group message's handler to the private chat, then note it in the group."""
        if not isinstance(event, Message) or event.chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        user = event.from_user
        if user is None or user.is_bot:
            return await handler(event, data)
        lang = data.get("lang", "en")
        # A command may arrive as a photo's caption; the split guards an empty one.
        words = (event.text or event.caption or "").split(maxsplit=1) or [""]
        command = escape(words[0].split("@")[0][:40])
        private_chat = Chat(id=user.id, type=ChatType.PRIVATE, first_name=user.first_name)
        private = event.model_copy(update={"chat": private_chat}).as_(event.bot)
        try:
            result = await handler(private, data)
        except (TelegramForbiddenError, TelegramBadRequest) as error:
            # Never started the bot (403 "can't initiate conversation"), blocked it, or unknown.
            if isinstance(error, TelegramBadRequest) and "chat not found" not in error.message:
                raise
            log.info("private_reply_refused", user_id=user.id, reason=error.message)
            link = await bot_link(data["bot"])
            await event.answer(t(lang, "private_start_first", link=link, command=command))
            return None
        await event.answer(t(lang, "private_sent", command=command))
        return result
