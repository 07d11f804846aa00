"""Posts that arrive without polling: channel_post updates and Telegram Desktop exports."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

from core.channels.identity import learn_username
from core.channels.names import bot_api_channel_id
from core.errors import CoreError, ExportNotSingleChannel, ImportFailed
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


async def refresh_visibility(
    uow: IngestUnitOfWork, channel: Channel, info: ChannelInfo
) -> list[int]:
    """Bring the stored title up to date, and notice a channel that lost its public username
    (`find_or_create_channel` already learned a new or changed one).

    A channel without a public username is private from now on: chats that never proved
    membership stop following it, and its points leave their indexes (their tenant ids are
    returned, to be indexed so the purge happens); the others re-index its links.
    """
    if info.title and info.title != channel.title:
        await uow.channels.update_info(channel.id, title=info.title)
    if info.username or channel.username is None:
        return []
    await uow.channels.clear_username(channel.id)
    await uow.posts.reindex_channel(channel.id)  # links become members-only t.me/c/... ones
    log.info("channel_went_private", channel_id=channel.id)
    dropped = await uow.channels.drop_unverified_subscriptions(channel.id)
    for tenant_id in dropped:
        await uow.posts.forget_index_state(tenant_id, channel.id)
        await uow.posts.add_index_purge(tenant_id, channel.id)
    if dropped:
        log.info("private_channel_unfollowed", channel_id=channel.id, tenants=len(dropped))
    return dropped


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
        """Store a new or edited channel post of a followed channel; albums fold into one post.

        The channel itself is always recorded and its username refreshed (so a member can
        follow it, and a channel gone private stops reaching outsiders); its posts are stored
        only while some chat follows it.
        """
        async with self._locks[info.telegram_id or info.username], self._uow_factory() as uow:
            channel = await find_or_create_channel(uow, info, SourceKind.BOT_ADMIN)
            dropped = await refresh_visibility(uow, channel, info)
            tenants = await uow.channels.subscriber_tenants(channel.id)
            stored = StoredPosts(0, 0, 0)
            if tenants:
                if draft.grouped_id:
                    stored = await uow.posts.merge_album_member(channel.id, draft)
                else:
                    stored = await uow.posts.upsert_many(channel.id, [draft])
            await uow.commit()
        if not tenants:
            log.info("channel_post_unfollowed", channel_id=channel.id)
        if dropped:
            self._indexer.kick(*dropped)
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
            try:
                await self._store_file(tenant.id, path, chats, report, progress, username)
            except CoreError:
                raise
            except Exception as error:  # the file's transaction rolled back as a whole
                log.warning("export_file_failed", path=str(path), error=str(error))
                raise ImportFailed(f"could not store {path}: {str(error)[:300]}") from error
            report.files += 1
            log.info("export_file_imported", path=str(path), chats=len(chats))
        return tenant.id, report

    async def _store_file(
        self,
        tenant_id: int,
        path: Path,
        chats: Sequence[ExportedChat],
        report: ImportReport,
        progress: Callable[[int], None] | None,
        username: str | None,
    ) -> None:
        """One file in one transaction: its channels, the chat's subscriptions, their posts."""
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
                await uow.channels.subscribe(tenant_id, channel.id, None)
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


def check_single_channel(parsed: Sequence[tuple[Path, list[ExportedChat]]]) -> None:
    """One username names one channel: the exports must hold exactly one (by Telegram id)."""
    ids = {chat.info.telegram_id for _, chats in parsed for chat in chats}
    if len(ids) != 1:
        raise ExportNotSingleChannel(
            f"--username names one channel, but the exports hold {len(ids)} channels; "
            "import them separately"
        )
