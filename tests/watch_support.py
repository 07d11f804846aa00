"""Helpers for keyword watch tests: a channel the bot administers, followed by chats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.models import SourceKind
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness

CHANNEL = -1001777000001
CHANNEL_NAME = "newsroom"


async def follow_channel(harness: BotHarness, chats: Sequence[tuple[int, str]]) -> int:
    """The admin channel stored, and these chats (id, kind) following it; returns its id."""
    async with harness.container.uow_factory() as uow:
        channel = await uow.channels.by_telegram_id(CHANNEL)
        if channel is None:
            channel = await uow.channels.create(
                username=CHANNEL_NAME,
                title="Newsroom",
                source=SourceKind.BOT_ADMIN,
                telegram_id=CHANNEL,
            )
        for chat_id, kind in chats:
            tenant = await uow.tenants.get_or_create(chat_id, kind, None, "en")
            await uow.channels.subscribe(tenant.id, channel.id, None)
        await uow.commit()
    return channel.id


def post(api: FakeBotAPI, text: str, message_id: int) -> None:
    """A channel_post update of the admin channel."""
    api.add_update(
        api.channel_post(
            text, chat_id=CHANNEL, message_id=message_id, username=CHANNEL_NAME, title="Newsroom"
        )
    )


def hits(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    """Watch-hit messages the chat received."""
    return [m for m in api.sent_messages(chat_id) if str(m.get("text", "")).startswith("🔎")]
