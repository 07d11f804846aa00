"""Subscribing chats to channels: validation, limits, backfill, unsubscribe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from core.channels.models import SubscribeOutcome
from core.channels.names import ChannelName, parse_channel_name
from core.channels.polling import ChannelPoller
from core.channels.ports import ChannelsUnitOfWork
from core.errors import ChannelLimitReached, ChannelNotReadable, ChannelSourceError
from core.ingest.indexing import BackgroundIndexer
from core.models import Channel, SourceKind, SubscribedChannel, Tenant
from core.ports import PostIndex

log = structlog.get_logger(__name__)

# Is the user who asks a member of the channel with this Telegram id? (Checked by the bot.)
MemberCheck = Callable[[int], Awaitable[bool]]
NOT_SEEN = "the bot has not seen this private channel; add it as an administrator first"


class SubscriptionService:
    """Chats follow channels; posts are backfilled on subscribe and indexed in the background."""

    def __init__(
        self,
        poller: ChannelPoller,
        index: PostIndex,
        indexer: BackgroundIndexer,
        *,
        max_channels: int,
        channel_limit: Callable[[int], Awaitable[int]] | None = None,
    ) -> None:
        self._poller = poller
        self._index = index
        self._indexer = indexer
        self._max_channels = max_channels
        self._channel_limit = channel_limit  # per-tenant limit (quota overrides); 0 = unlimited

    @property
    def max_channels(self) -> int:
        """How many channels one chat may follow."""
        return self._max_channels

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
        """
        name = parse_channel_name(raw_name)
        channel = await self._find(uow, name)
        if channel is not None and channel.username is None:
            member = (
                is_member is not None
                and channel.telegram_id is not None
                and await is_member(channel.telegram_id)
            )
            if not member:
                log.info("private_channel_refused", tenant_id=tenant.id, channel_id=channel.id)
                raise ChannelNotReadable(NOT_SEEN)
        if channel is not None and await self._is_subscribed(uow, tenant.id, channel.id):
            backfilled = await self._read_imported_preview(uow, channel, name)
            if backfilled:
                await uow.commit()
                self._indexer.kick(tenant.id)
            return SubscribeOutcome(channel, created=False, backfilled=backfilled, stored_posts=0)
        limit = await self._channel_limit(tenant.id) if self._channel_limit else self._max_channels
        if limit > 0 and await uow.channels.subscription_count(tenant.id) >= limit:
            raise ChannelLimitReached(f"this chat already follows {limit} channels", limit)

        backfilled = 0
        if channel is not None and channel.source is SourceKind.EXPORT:
            backfilled = await self._read_imported_preview(uow, channel, name)
        elif channel is None or channel.source is SourceKind.WEB_PREVIEW:
            if name.username is None:
                raise ChannelNotReadable(NOT_SEEN)
            backfilled = await self._poller.backfill(uow, channel, name.username)
            channel = await uow.channels.by_username(name.username)
            assert channel is not None
        await uow.channels.subscribe(tenant.id, channel.id, user_id)
        stored = await self._stored_posts(uow, tenant.id, channel.id)
        await uow.commit()
        log.info(
            "channel_subscribed", tenant_id=tenant.id, channel=str(name), backfilled=backfilled
        )
        self._indexer.kick(tenant.id)
        return SubscribeOutcome(channel, created=True, backfilled=backfilled, stored_posts=stored)

    async def unsubscribe(
        self, uow: ChannelsUnitOfWork, tenant: Tenant, raw_name: str
    ) -> Channel | None:
        """Unsubscribe and drop the channel's points from this chat's index only."""
        name = parse_channel_name(raw_name)
        channel = await self._find(uow, name)
        if channel is None or not await self._is_subscribed(uow, tenant.id, channel.id):
            return None
        return await self.unsubscribe_channel(uow, tenant, channel.id)

    async def unsubscribe_channel(
        self, uow: ChannelsUnitOfWork, tenant: Tenant, channel_id: int
    ) -> Channel | None:
        """Unsubscribe by channel id (inline buttons carry it, so it may be anything)."""
        if not 0 < channel_id < 2**63:  # no such row; the database could not even compare it
            return None
        channel = await uow.channels.by_id(channel_id)
        if channel is None:
            return None
        # Index first: if it fails, the subscription stays and nothing is half-done.
        await self._index.delete_channel(tenant.id, channel.id)
        removed = await uow.channels.unsubscribe(tenant.id, channel.id)
        await uow.posts.forget_index_state(tenant.id, channel.id)
        await uow.commit()
        log.info("channel_unsubscribed", tenant_id=tenant.id, channel_id=channel.id)
        return channel if removed else None

    async def list(self, uow: ChannelsUnitOfWork, tenant: Tenant) -> list[SubscribedChannel]:
        """The chat's channels with post counts and last update."""
        return await uow.channels.subscribed(tenant.id)

    async def _read_imported_preview(
        self, uow: ChannelsUnitOfWork, channel: Channel, name: ChannelName
    ) -> int:
        """An imported channel asked for by its username is read through its preview from now
        on, when it has one; its imported posts stay either way. Returns the posts read."""
        if channel.source is not SourceKind.EXPORT or name.username is None:
            return 0
        try:
            return await self._poller.backfill(uow, channel, name.username)
        except (ChannelNotReadable, ChannelSourceError) as error:
            log.info("imported_channel_without_preview", channel_id=channel.id, error=str(error))
            return 0

    async def _find(self, uow: ChannelsUnitOfWork, name: ChannelName) -> Channel | None:
        if name.username:
            return await uow.channels.by_username(name.username)
        assert name.telegram_id is not None
        return await uow.channels.by_telegram_id(name.telegram_id)

    @staticmethod
    async def _is_subscribed(uow: ChannelsUnitOfWork, tenant_id: int, channel_id: int) -> bool:
        return any(
            item.channel.id == channel_id for item in await uow.channels.subscribed(tenant_id)
        )

    @staticmethod
    async def _stored_posts(uow: ChannelsUnitOfWork, tenant_id: int, channel_id: int) -> int:
        for item in await uow.channels.subscribed(tenant_id):
            if item.channel.id == channel_id:
                return item.post_count
        return 0
