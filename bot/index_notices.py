"""Telling a chat its channel is indexed: the subscribe reply is edited, or a message is sent."""

from __future__ import annotations

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.formatting import escape
from bot.texts import t
from core.index_progress.models import IndexedNotice

log = structlog.get_logger(__name__)


def channel_label(username: str | None, title: str) -> str:
    """`@name`, or the escaped title of a channel without a username."""
    return f"@{username}" if username else escape(title)


class BotIndexedNotices:
    """The `IndexedNoticeSender` port over the Bot API."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def channel_indexed(self, notice: IndexedNotice, posts: int) -> None:
        """Edit the subscribe reply into the notice; a reply Telegram won't edit gets a new one."""
        channel = notice.channel
        text = t(
            notice.language,
            "indexed_notice",
            name=channel_label(channel.username, channel.title),
            posts=posts,
        )
        try:
            await self._bot.edit_message_text(
                text, chat_id=notice.chat_id, message_id=notice.message_id
            )
        except TelegramBadRequest as error:  # deleted, too old, not the bot's
            log.info("indexed_notice_sent_anew", chat_id=notice.chat_id, reason=error.message)
            await self._bot.send_message(notice.chat_id, text)
