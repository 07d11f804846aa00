"""Helpers for trend alert tests: a synthetic stream stored as channels, posts and chats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.models import PostDraft, SourceKind
from core.ports import UnitOfWorkFactory
from tests.trend_streams import QUAKE, Stream

ECLIPSE = [
    "Солнечное затмение увидели жители Камчатки, астрономы ведут трансляцию",
    "Затмение над Камчаткой: астрономы показали редкие снимки короны",
    "Камчатка наблюдала полное солнечное затмение, следующее через двадцать лет",
    "Жители Камчатки сняли солнечное затмение на телефоны",
    "Полное солнечное затмение на Камчатке: фото жителей и астрономов",
]


def recent_hour() -> datetime:
    """Now, to the minute (stored trends count as current only near the real clock)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass
class StoredStream:
    """A synthetic stream in the database: its channel ids by stream channel number."""

    stream: Stream
    channel_ids: dict[int, int]
    now: datetime


def quake_stream(now: datetime, *, channels: int = 6) -> Stream:
    """Eight steady days in every channel and the Tbilisi earthquake in five of them."""
    stream = Stream(channels=channels, seed=11)
    stream.steady(until=now)
    stream.burst([1, 2, 3, 4, 5], QUAKE, start=now - timedelta(hours=4))
    return stream


async def store_stream(
    uow_factory: UnitOfWorkFactory, stream: Stream, now: datetime
) -> StoredStream:
    """Every stream channel as a channel (username channelN) with its posts."""
    by_channel: dict[int, list[PostDraft]] = {}
    for post in stream.posts:
        by_channel.setdefault(post.channel_id, []).append(
            PostDraft(message_id=post.post_id, date=post.date, text=post.text)
        )
    ids = {}
    async with uow_factory() as uow:
        for number in range(1, stream.channels + 1):
            channel = await uow.channels.create(
                username=f"channel{number}",
                title=f"Channel {number}",
                source=SourceKind.EXPORT,
                telegram_id=None,
            )
            await uow.posts.upsert_many(channel.id, by_channel.get(number, []))
            ids[number] = channel.id
        await uow.commit()
    return StoredStream(stream, ids, now)


async def add_posts(
    uow_factory: UnitOfWorkFactory,
    stored: StoredStream,
    channels: Sequence[int],
    texts: Sequence[str],
    *,
    start: datetime,
) -> None:
    """A new story told by the given stream channels after `start`, stored at once."""
    posts = stored.stream.burst(list(channels), list(texts), start=start, spread=timedelta(hours=1))
    async with uow_factory() as uow:
        for post in posts:
            await uow.posts.upsert_many(
                stored.channel_ids[post.channel_id],
                [PostDraft(message_id=post.post_id, date=post.date, text=post.text)],
            )
        await uow.commit()


async def make_chats(
    uow_factory: UnitOfWorkFactory,
    stored: StoredStream,
    chats: Sequence[tuple[int, str]],
    *,
    language: str = "en",
) -> dict[int, int]:
    """Tenants (chat id, kind) following every channel of the stream; chat id -> tenant id."""
    result = {}
    async with uow_factory() as uow:
        for chat_id, kind in chats:
            tenant = await uow.tenants.get_or_create(chat_id, kind, f"chat {chat_id}", language)
            for channel_id in stored.channel_ids.values():
                await uow.channels.subscribe(tenant.id, channel_id, None)
            result[chat_id] = tenant.id
        await uow.commit()
    return result
