"""Posts that arrive without polling: channel_post updates and Telegram Desktop exports."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

from core.channels.identity import learn_username
from core.channels.names import bot_api_channel_id
from core.errors import ExportNotSingleChannel
from core.ingest.exports import ExportedChat, iter_export_files, parse_export
from core.ingest.indexing import BackgroundIndexer
from core.ingest.models import ImportReport
from core.ingest.ports import IngestUnitOfWork
from core.models import Channel, ChannelInfo, PostDraft, SourceKind
from core.ports import StoredPosts, UnitOfWorkFactory

log = structlog.get_logger(__name__)


async def find_or_create_channel(
    uow: IngestUnitOfWork, info: ChannelInfo, source: SourceKind
) -> Channel:
    """The stored channel matching a source's description, created when new.

    A channel known only by id (imported, or read as administrator) that the source names
    learns its public username, so its posts are cited with links anyone can open.
    """
    channel = None
    if info.telegram_id is not None:
        channel = await uow.channels.by_telegram_id(info.telegram_id)
        if channel is not None and info.username:
            channel = await learn_username(uow, channel, info.username)
    if channel is None and info.username:
        channel = await uow.channels.by_username(info.username)
        if channel is not None and info.telegram_id is not None and channel.telegram_id is None:
            await uow.channels.update_info(channel.id, telegram_id=info.telegram_id)
    if channel is None:
        channel = await uow.channels.create(
            username=info.username,
            title=info.title or info.username or str(info.telegram_id),
            source=source,
            telegram_id=info.telegram_id,
        )
    return channel


class ChannelPostIngestor:
    """Stores posts of channels where the bot is an administrator."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory[IngestUnitOfWork], indexer: BackgroundIndexer
    ) -> None:
        self._uow_factory = uow_factory
        self._indexer = indexer
        # Album members arrive as concurrent updates; one channel's posts are stored in order.
        self._locks: defaultdict[int | str | None, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def ingest(self, info: ChannelInfo, draft: PostDraft) -> StoredPosts:
        """Store a new or edited channel post; album members fold into one post."""
        async with self._locks[info.telegram_id or info.username], self._uow_factory() as uow:
            channel = await find_or_create_channel(uow, info, SourceKind.BOT_ADMIN)
            if draft.grouped_id:
                stored = await uow.posts.merge_album_member(channel.id, draft)
            else:
                stored = await uow.posts.upsert_many(channel.id, [draft])
            tenants = await uow.channels.subscriber_tenants(channel.id)
            await uow.commit()
        if tenants:  # new or edited posts, or links that changed with a learned username
            self._indexer.kick(*tenants)
        return stored


class ExportImporter:
    """Imports Telegram Desktop exports into a chat: channels, subscriptions, posts."""

    def __init__(self, uow_factory: UnitOfWorkFactory[IngestUnitOfWork]) -> None:
        self._uow_factory = uow_factory

    @staticmethod
    def parse(paths: Sequence[Path]) -> list[tuple[Path, list[ExportedChat]]]:
        """Parse every file first, so a malformed one stops the import before anything is written."""
        return [(path, parse_export(path)) for path in iter_export_files(paths)]

    async def store(
        self,
        chat_id: int,
        parsed: Sequence[tuple[Path, list[ExportedChat]]],
        progress: Callable[[int], None] | None = None,
        *,
        username: str | None = None,
    ) -> tuple[int, ImportReport]:
        """Store parsed exports for a chat, one transaction per file; returns (tenant id, report).

        `username` is the public username of the one channel the exports hold (exports never
        name it), so its posts are cited as t.me/<username>/<id> instead of members-only links.
        """
        if username is not None:
            check_single_channel(parsed)
        report = ImportReport()
        async with self._uow_factory() as uow:
            kind = "private" if chat_id > 0 else "supergroup"
            tenant = await uow.tenants.get_or_create(chat_id, kind, None, "en")
            await uow.commit()
        for path, chats in parsed:
            async with self._uow_factory() as uow:
                for chat in chats:
                    info = ChannelInfo(
                        username=username or chat.info.username,
                        title=chat.info.title,
                        telegram_id=bot_api_channel_id(chat.info.telegram_id)
                        if chat.info.telegram_id is not None
                        else None,
                    )
                    channel = await find_or_create_channel(uow, info, SourceKind.EXPORT)
                    await uow.channels.subscribe(tenant.id, channel.id, None)
                    stored = await uow.posts.upsert_many(channel.id, chat.posts)
                    report.channels.append(channel.title)
                    report.inserted += stored.inserted
                    report.updated += stored.updated
                    report.unchanged += stored.unchanged
                    report.skipped += chat.skipped
                    report.rejected += [f"{path}: {reason}" for reason in chat.rejected]
                    if progress is not None:
                        progress(len(chat.posts))
                await uow.commit()
            report.files += 1
            log.info("export_file_imported", path=str(path), chats=len(chats))
        return tenant.id, report


def check_single_channel(parsed: Sequence[tuple[Path, list[ExportedChat]]]) -> None:
    """One username names one channel: the exports must hold exactly one (by Telegram id)."""
    ids = {chat.info.telegram_id for _, chats in parsed for chat in chats}
    if len(ids) != 1:
        raise ExportNotSingleChannel(
            f"--username names one channel, but the exports hold {len(ids)} channels; "
            "import them separately"
        )
