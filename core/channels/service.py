"""Subscribing chats to channels: validation, limits, backfill, unsubscribe."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from core.channels.models import SubscribeOutcome, SubscriptionLimits
from core.channels.names import ChannelName, parse_channel_name
from core.channels.polling import ChannelPoller
from core.channels.ports import ChannelsUnitOfWork
from core.concurrency import KeyedSlots
from core.errors import ChannelLimitReached, ChannelNotReadable, ChannelSourceError, TooManyChanges
from core.ingest.indexing import BackgroundIndexer
from core.models import Channel, ChannelPage, SourceKind, SubscribedChannel, Tenant
from core.ports import PostIndex
from core.rag.throttle import UserRateLimiter

log = structlog.get_logger(__name__)

# Is the user who asks a member of the channel with this Telegram id? (Checked by the bot.)
MemberCheck = Callable[[int], Awaitable[bool]]
NOT_SEEN = "the bot has not seen this private channel; add it as an administrator first"
BACKFILLS_PER_USER = 1  # one user's /subscribe floods wait in line instead of fetching at once
BACKFILLS_PER_CHAT = 2


class UnreadableNames:
    """Names whose preview was missing lately (a negative cache with a TTL)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._until: dict[str, tuple[float, str]] = {}

    def known(self, username: str) -> str | None:
        """The remembered reason, while it is fresh."""
        entry = self._until.get(username.lower())
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._until[username.lower()]
            return None
        return entry[1]

    def remember(self, username: str, reason: str) -> None:
        """Remember that the name has no preview, for the TTL."""
        if len(self._until) > 10_000:  # keep memory bounded: drop what has expired
            now = self._clock()
            self._until = {name: e for name, e in self._until.items() if e[0] > now}
        self._until[username.lower()] = (self._clock() + self._ttl, reason)


class SubscriptionService:
    """Chats follow channels; posts are backfilled on subscribe and indexed in the background.

    No database transaction stays open while a channel is fetched: the pool serves everybody
    else meanwhile. Limits are checked under the tenant's lock, so concurrent requests cannot
    pass them together.
    """

    def __init__(
        self,
        poller: ChannelPoller,
        index: PostIndex,
        indexer: BackgroundIndexer,
        *,
        max_channels: int,
        channel_limit: Callable[[int], Awaitable[int]] | None = None,
        limits: SubscriptionLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._poller = poller
        self._index = index
        self._indexer = indexer
        self._max_channels = max_channels
        self._channel_limit = channel_limit  # per-tenant limit (quota overrides); 0 = unlimited
        limits = limits or SubscriptionLimits()
        self._changes = UserRateLimiter(limits.changes_per_window, limits.window_seconds, clock)
        self._unreadable = UnreadableNames(limits.unreadable_ttl_seconds, clock)
        self._user_backfills = KeyedSlots(BACKFILLS_PER_USER)
        self._chat_backfills = KeyedSlots(BACKFILLS_PER_CHAT)

    @property
    def max_channels(self) -> int:
        """How many channels one chat may follow."""
        return self._max_channels

    def admit_change(self, user_id: int | None, tenant: Tenant) -> None:
        """Count one subscription change of a user; raises TooManyChanges over the rate."""
        refusal = self._changes.admit(user_id if user_id is not None else tenant.chat_id)
        if refusal is not None:
            log.info("subscription_change_throttled", tenant_id=tenant.id, user_id=user_id)
            raise TooManyChanges(refusal.wait_seconds, refusal.notify)

    async def subscribe(
        self,
        uow: ChannelsUnitOfWork,
        tenant: Tenant,
        raw_name: str,
        user_id: int | None,
        *,
        is_member: MemberCheck | None = None,
    ) -> SubscribeOutcome:
        """Validate the name, read the channel, store its recent posts, subscribe the chat.

        A private channel (no username: read as its administrator or imported) is followed
        only when `is_member` confirms the user belongs to it; otherwise the refusal is the
        same as for a channel the bot never saw, so its existence is not revealed either.
        A channel polled within one poll interval is not fetched again; a name without a
        preview is remembered for a while and not fetched again either.
        """
        name = parse_channel_name(raw_name)
        self.admit_change(user_id, tenant)
        channel = await self._find(uow, name)
        if channel is not None and await uow.channels.is_subscribed(tenant.id, channel.id):
            return await self._already_following(uow, tenant, user_id, channel, name)
        limit = await self._limit(tenant.id)
        await self._check_limit(uow, tenant.id, limit)
        await uow.commit()  # ends the read transaction: no connection is held while fetching
        # Membership is recorded for every channel Telegram knows: a public channel followed
        # by a member stays followed if it later goes private; a private one needs it now.
        verified = (
            channel is not None
            and channel.telegram_id is not None
            and is_member is not None
            and await is_member(channel.telegram_id)
        )
        if channel is not None and channel.username is None and not verified:
            log.info("private_channel_refused", tenant_id=tenant.id, channel_id=channel.id)
            raise ChannelNotReadable(NOT_SEEN)

        page: ChannelPage | None = None
        if channel is not None and channel.source is SourceKind.EXPORT:
            page = await self._imported_preview(tenant, user_id, channel, name)
        elif channel is None or (
            channel.source is SourceKind.WEB_PREVIEW and not self._poller.is_fresh(channel)
        ):
            if name.username is None:
                raise ChannelNotReadable(NOT_SEEN)
            page = await self._fetch(tenant, user_id, name.username)

        await uow.tenants.lock(tenant.id)
        await self._check_limit(uow, tenant.id, limit)
        if page is not None:
            assert name.username is not None
            channel = await self._poller.store_page(uow, channel, name.username, page)
        assert channel is not None
        created = await uow.channels.subscribe(
            tenant.id, channel.id, user_id, member_verified=verified
        )
        await uow.commit()
        if page is not None:  # new posts, or re-indexed links of a channel that learned its name
            self._indexer.kick(tenant.id)
        if not created:
            backfilled = len(page.posts) if page else 0
            return SubscribeOutcome(channel, created=False, backfilled=backfilled, stored_posts=0)
        stored = await self._stored_posts(uow, tenant.id, channel.id)
        log.info(
            "channel_subscribed",
            tenant_id=tenant.id,
            channel=str(name),
            backfilled=len(page.posts) if page else 0,
        )
        self._indexer.kick(tenant.id)
        return SubscribeOutcome(
            channel, created=True, backfilled=len(page.posts) if page else 0, stored_posts=stored
        )

    async def _already_following(
        self,
        uow: ChannelsUnitOfWork,
        tenant: Tenant,
        user_id: int | None,
        channel: Channel,
        name: ChannelName,
    ) -> SubscribeOutcome:
        """The chat follows it already; an imported one asked for by username is read through
        its preview from now on."""
        await uow.commit()  # no transaction open while the preview is fetched
        page = await self._imported_preview(tenant, user_id, channel, name)
        if page is None or name.username is None:
            return SubscribeOutcome(channel, created=False, backfilled=0, stored_posts=0)
        await self._poller.store_page(uow, channel, name.username, page)
        await uow.commit()
        self._indexer.kick(tenant.id)
        return SubscribeOutcome(channel, created=False, backfilled=len(page.posts), stored_posts=0)

    async def _imported_preview(
        self, tenant: Tenant, user_id: int | None, channel: Channel, name: ChannelName
    ) -> ChannelPage | None:
        """The preview of an imported channel asked for by its username, when it has one (its
        imported posts stay either way)."""
        if channel.source is not SourceKind.EXPORT or name.username is None:
            return None
        try:
            return await self._fetch(tenant, user_id, name.username)
        except (ChannelNotReadable, ChannelSourceError) as error:
            log.info("imported_channel_without_preview", channel_id=channel.id, error=str(error))
            return None

    async def _limit(self, tenant_id: int) -> int:
        return await self._channel_limit(tenant_id) if self._channel_limit else self._max_channels

    @staticmethod
    async def _check_limit(uow: ChannelsUnitOfWork, tenant_id: int, limit: int) -> None:
        if limit > 0 and await uow.channels.subscription_count(tenant_id) >= limit:
            await uow.rollback()
            raise ChannelLimitReached(f"this chat already follows {limit} channels", limit)

    async def _fetch(self, tenant: Tenant, user_id: int | None, username: str) -> ChannelPage:
        """Read the channel's recent posts, a few at a time per user and per chat."""
        reason = self._unreadable.known(username)
        if reason is not None:
            raise ChannelNotReadable(reason)
        async with (
            self._user_backfills.hold(user_id or tenant.chat_id),
            self._chat_backfills.hold(tenant.id),
        ):
            try:
                return await self._poller.fetch_recent(username)
            except ChannelNotReadable as error:
                self._unreadable.remember(username, str(error))
                raise

    async def unsubscribe(
        self, uow: ChannelsUnitOfWork, tenant: Tenant, raw_name: str, user_id: int | None = None
    ) -> Channel | None:
        """Unsubscribe and drop the channel's points from this chat's index only."""
        name = parse_channel_name(raw_name)
        self.admit_change(user_id, tenant)
        channel = await self._find(uow, name)
        if channel is None or not await uow.channels.is_subscribed(tenant.id, channel.id):
            return None
        return await self.unsubscribe_channel(uow, tenant, channel.id)

    async def unsubscribe_channel(
        self, uow: ChannelsUnitOfWork, tenant: Tenant, channel_id: int
    ) -> Channel | None:
        """Unsubscribe by channel id (inline buttons carry it, so it may be anything).

        The database changes first, with a purge of the channel's points recorded in the same
        transaction; the index follows. Whatever fails or crashes in between, the next
        indexing run finishes the purge.
        """
        if not 0 < channel_id < 2**63:  # no such row; the database could not even compare it
            return None
        channel = await uow.channels.by_id(channel_id)
        if channel is None:
            return None
        await uow.tenants.lock(tenant.id)
        removed = await uow.channels.unsubscribe(tenant.id, channel.id)
        if not removed:
            await uow.rollback()
            return None
        await uow.posts.forget_index_state(tenant.id, channel.id)
        await uow.posts.add_index_purge(tenant.id, channel.id)
        await uow.commit()
        log.info("channel_unsubscribed", tenant_id=tenant.id, channel_id=channel.id)
        try:
            await self._index.delete_channel(tenant.id, channel.id)
            await uow.posts.drop_index_purge(tenant.id, channel.id)
            await uow.commit()
        except Exception as error:  # the purge stays recorded; indexing finishes it
            log.warning("unsubscribe_purge_deferred", tenant_id=tenant.id, error=str(error))
            await uow.rollback()
            self._indexer.kick(tenant.id)
        return channel

    async def list(self, uow: ChannelsUnitOfWork, tenant: Tenant) -> list[SubscribedChannel]:
        """The chat's channels with post counts and last update."""
        return await uow.channels.subscribed(tenant.id)

    async def _find(self, uow: ChannelsUnitOfWork, name: ChannelName) -> Channel | None:
        if name.username:
            return await uow.channels.by_username(name.username)
        assert name.telegram_id is not None
        return await uow.channels.by_telegram_id(name.telegram_id)

    @staticmethod
    async def _stored_posts(uow: ChannelsUnitOfWork, tenant_id: int, channel_id: int) -> int:
        for item in await uow.channels.subscribed(tenant_id):
            if item.channel.id == channel_id:
                return item.post_count
        return 0
