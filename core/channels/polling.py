"""Reading public channels through their web preview: backfill, incremental polls, backoff."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from core.channels.identity import learn_username
from core.channels.models import PollResult
from core.channels.ports import ChannelSource, ChannelsUnitOfWork
from core.clock import utc_now
from core.errors import ChannelNotReadable, ChannelSourceError
from core.ingest.indexing import BackgroundIndexer
from core.models import Channel, ChannelPage, PostDraft, SourceKind
from core.ports import UnitOfWorkFactory

log = structlog.get_logger(__name__)

MAX_PAGES = 100  # a hard stop against a source that keeps offering older pages
MAX_BACKOFF = timedelta(hours=24)


async def read_channel(
    source: ChannelSource,
    username: str,
    *,
    limit: int,
    newer_than: int | None = None,
    max_pages: int = MAX_PAGES,
) -> ChannelPage:
    """Gather up to `limit` of the newest posts (only those above `newer_than`) page by page.

    Stops when enough posts are gathered, a known post is reached, no older page exists,
    `max_pages` pages were read, a page's `before` does not go back (a loop), or, in a backfill
    (no `newer_than`), an older page fails: what was read is kept and the reason logged.
    The result's `before` says where to continue; None when nothing is left or the walk cannot
    go on safely.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    page = await source.fetch_page(username)
    first_listed = page.listed  # the newest page: what is missing from it was deleted
    posts: dict[int, PostDraft] = {}
    before, pages = page.before, 1
    while True:
        for post in page.posts:
            if newer_than is None or post.message_id > newer_than:
                posts.setdefault(post.message_id, post)
        reached_known = newer_than is not None and any(
            p.message_id <= newer_than for p in page.posts
        )
        if before is None or reached_known or len(posts) >= limit:
            break
        if pages >= max_pages:
            log.warning("channel_read_page_cap", username=username, pages=pages)
            break
        try:
            page = await source.fetch_page(username, before=before)
        except (ChannelNotReadable, ChannelSourceError) as error:
            if newer_than is not None:
                raise  # a poll keeping only newer posts would leave a gap behind it for good
            # A backfill keeps what the newer pages gave; `before` says where to go on from.
            log.warning(
                "channel_read_partial",
                username=username,
                before=before,
                kept=len(posts),
                reason=str(error),
            )
            break
        pages += 1
        if page.before is not None and page.before >= before:
            log.warning("channel_read_loop", username=username, before=before, next=page.before)
            for post in page.posts:
                if newer_than is None or post.message_id > newer_than:
                    posts.setdefault(post.message_id, post)
            before = None
            break
        before = page.before
    ordered = sorted(posts.values(), key=lambda p: p.message_id)
    if len(ordered) > limit:
        ordered = ordered[-limit:]
        before = ordered[0].message_id  # older posts exist: continue just below the kept ones
    return ChannelPage(channel=page.channel, posts=ordered, before=before, listed=first_listed)


class ChannelPoller:
    """Keeps web-preview channels fresh, with jitter and per-channel exponential backoff."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[ChannelsUnitOfWork],
        source: ChannelSource,
        indexer: BackgroundIndexer,
        *,
        interval: timedelta,
        jitter: timedelta,
        max_posts: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._source = source
        self._indexer = indexer
        self._interval = interval
        self._jitter = jitter
        self._max_posts = max_posts
        self._clock = clock

    def next_poll(self, errors: int) -> datetime:
        """When to poll again: the interval plus jitter, doubled per consecutive error."""
        delay = min(self._interval * (2 ** min(errors, 10)), MAX_BACKOFF)
        jitter = self._jitter.total_seconds() * random.random()
        moment: datetime = self._clock() + delay + timedelta(seconds=jitter)
        return moment

    async def store_page(
        self, uow: ChannelsUnitOfWork, channel: Channel | None, username: str, page: ChannelPage
    ) -> Channel:
        """Create or refresh the channel from a page and store its posts.

        A channel stored before under its id alone (imported, or read as administrator) is the
        same channel: it learns its username, and its posts' links are re-indexed.
        """
        telegram_id = page.channel.telegram_id
        if channel is None and telegram_id is not None:
            known = await uow.channels.by_telegram_id(telegram_id)
            if known is not None:
                source = SourceKind.WEB_PREVIEW if known.source is SourceKind.EXPORT else None
                channel = await learn_username(uow, known, username, source=source)
        if channel is None:
            channel = await uow.channels.create(
                username=username,
                title=page.channel.title or username,
                source=SourceKind.WEB_PREVIEW,
                telegram_id=telegram_id,
            )
        else:
            if channel.telegram_id is not None or telegram_id is None:
                telegram_id = None  # nothing to learn
            elif await uow.channels.by_telegram_id(telegram_id) is not None:
                telegram_id = None  # another stored channel has it
            imported = channel.source is SourceKind.EXPORT  # read through its preview from now on
            await uow.channels.update_info(
                channel.id,
                title=page.channel.title,
                telegram_id=telegram_id,
                source=SourceKind.WEB_PREVIEW if imported else None,
            )
        await uow.posts.upsert_many(channel.id, page.posts)
        newest = max((p.message_id for p in page.posts), default=None)
        last = max(newest or 0, channel.last_message_id or 0) or None
        await uow.channels.record_poll(
            channel.id,
            polled_at=self._clock(),
            next_poll_at=self.next_poll(0),
            last_message_id=last,
            error=None,
        )
        return channel

    async def fetch_recent(self, username: str) -> ChannelPage:
        """Read a channel's recent posts (on subscribe); network only, no database."""
        return await read_channel(self._source, username, limit=self._max_posts)

    def is_fresh(self, channel: Channel) -> bool:
        """Whether the channel was polled within one poll interval (its stored posts will do)."""
        polled = channel.last_polled_at
        return polled is not None and self._clock() - polled < self._interval

    async def poll_channel(self, channel: Channel) -> PollResult:
        """Fetch posts newer than the last seen one; errors back the channel off."""
        assert channel.username is not None
        try:
            page = await read_channel(
                self._source,
                channel.username,
                limit=self._max_posts,
                newer_than=channel.last_message_id,
            )
        except (ChannelNotReadable, ChannelSourceError) as error:
            log.warning("channel_poll_failed", channel=channel.username, error=str(error))
            async with self._uow_factory() as uow:
                await uow.channels.record_poll(
                    channel.id,
                    polled_at=self._clock(),
                    next_poll_at=self.next_poll(channel.poll_errors + 1),
                    last_message_id=None,
                    error=str(error),
                    error_kind=error.kind,
                )
                await uow.commit()
            return PollResult(channel.id, 0, str(error))
        async with self._uow_factory() as uow:
            await self.store_page(uow, channel, channel.username, page)
            gone = await uow.posts.mark_deleted(channel.id, page.listed, self._clock())
            tenants = await uow.channels.subscriber_tenants(channel.id)
            await uow.commit()
        if gone:
            log.info("channel_posts_gone", channel_id=channel.id, posts=gone)
        if page.posts:
            self._indexer.kick(*tenants)
        return PollResult(channel.id, len(page.posts))

    async def poll_due(self, limit: int = 100) -> list[PollResult]:
        """Poll every channel whose time has come; one channel's failure never stops the rest."""
        async with self._uow_factory() as uow:
            channels = await uow.channels.due_for_poll(self._clock(), limit)
        results = []
        for channel in channels:
            try:
                results.append(await self.poll_channel(channel))
            except Exception as error:  # a bug or a database hiccup: log it, go on
                log.exception("channel_poll_crashed", channel_id=channel.id)
                results.append(PollResult(channel.id, 0, repr(error)))
        return results
