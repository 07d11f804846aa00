"""Helpers for digest tests: a week of news with a trend and a most-read story, and schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core.digests.models import DigestSchedule, Frequency
from core.models import PostDraft
from core.ports import UnitOfWorkFactory
from tests.fakes.bot_api import FakeBotAPI
from tests.trend_support import StoredStream, quake_stream, recent_hour, store_stream

# One story two channels carried, read far more than anything else that day.
MOST_READ = [
    "Сборная по регби выиграла Кубок Европы в финале против Португалии со счётом 30:25",
    "Регбисты выиграли Кубок Европы: в финале против Португалии счёт 30:25",
]


async def news_week(uow_factory: UnitOfWorkFactory) -> StoredStream:
    """Six channels of steady news, the Tbilisi earthquake in five, a most-read story in two."""
    now = recent_hour() - timedelta(hours=1)
    stored = await store_stream(uow_factory, quake_stream(now), now)
    async with uow_factory() as uow:
        for channel, text in zip((6, 2), MOST_READ, strict=True):
            draft = PostDraft(
                message_id=90_000 + channel, date=now - timedelta(hours=2), text=text, views=50_000
            )
            await uow.posts.upsert_many(stored.channel_ids[channel], [draft])
        await uow.commit()
    return stored


async def set_schedule(
    uow_factory: UnitOfWorkFactory, chat_id: int, covered_until: datetime | None, **fields: Any
) -> None:
    """Write a chat's schedule directly (daily at 09:00 UTC unless told otherwise)."""
    schedule = replace(
        DigestSchedule(frequency=Frequency.DAILY, timezone="UTC", covered_until=covered_until),
        **fields,
    )
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
        assert tenant is not None
        await uow.digests.save(tenant.id, schedule, covered_until or recent_hour())
        await uow.commit()


def digests(api: FakeBotAPI, chat_id: int) -> list[str]:
    """Texts of the chat's messages that are digests (or parts of one)."""
    return [
        m["text"] for m in api.sent_messages(chat_id) if "Digest" in m["text"] or "[1]" in m["text"]
    ]
