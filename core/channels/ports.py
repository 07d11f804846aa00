"""Ports of the channels feature: the channel repository and the public channel source."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.index_progress.models import IndexedNotice
from core.models import (
    Channel,
    ChannelPage,
    SourceKind,
    SubscribedChannel,
)
from core.ports import PostRepository, TenantRepository, Transaction


class ChannelSource(Protocol):
    """Reads a public channel's posts (the t.me/s web preview)."""

    async def fetch_page(self, username: str, before: int | None = None) -> ChannelPage:
        """Read one page of posts, newest page when `before` is None.

        Raises ChannelNotReadable when the channel has no public preview and
        ChannelSourceError for failures that may pass.
        """
        ...


class ChannelRepository(Protocol):
    """Channels, their poll state and the chats subscribed to them."""

    async def by_username(self, username: str) -> Channel | None: ...

    async def by_telegram_id(self, telegram_id: int) -> Channel | None: ...

    async def by_id(self, channel_id: int) -> Channel | None: ...

    async def create(
        self, *, username: str | None, title: str, source: SourceKind, telegram_id: int | None
    ) -> Channel: ...

    async def update_info(
        self,
        channel_id: int,
        *,
        title: str | None = None,
        telegram_id: int | None = None,
        username: str | None = None,
        source: SourceKind | None = None,
    ) -> None: ...

    async def clear_username(self, channel_id: int) -> None: ...

    async def drop_unverified_subscriptions(self, channel_id: int) -> list[int]: ...

    async def record_poll(
        self,
        channel_id: int,
        *,
        polled_at: datetime,
        next_poll_at: datetime,
        last_message_id: int | None,
        error: str | None,
        error_kind: str | None = None,
    ) -> None:
        """Remember a poll's outcome: `error` (English, for logs and the CLI) and its
        `CoreError.kind` (what chats are told, in their own language)."""
        ...

    async def due_for_poll(self, now: datetime, limit: int) -> list[Channel]: ...

    async def subscribe(
        self,
        tenant_id: int,
        channel_id: int,
        user_id: int | None,
        *,
        member_verified: bool = False,
    ) -> bool: ...

    async def is_subscribed(self, tenant_id: int, channel_id: int) -> bool: ...

    async def subscribed_channel_ids(self, tenant_id: int) -> set[int]: ...

    async def unsubscribe(self, tenant_id: int, channel_id: int) -> bool: ...

    async def subscription_count(self, tenant_id: int) -> int: ...

    async def subscribed(self, tenant_id: int) -> list[SubscribedChannel]: ...

    async def subscriber_tenants(self, channel_id: int) -> list[int]: ...

    async def set_indexed_notice(self, tenant_id: int, channel_id: int, message_id: int) -> None:
        """Remember the subscribe reply to edit once the channel is indexed for the tenant."""
        ...

    async def indexed_notices(self, tenant_id: int | None = None) -> list[IndexedNotice]:
        """Notices not sent yet, of one tenant or of all."""
        ...

    async def clear_indexed_notice(self, tenant_id: int, channel_id: int, message_id: int) -> bool:
        """Claim a notice: True only for the one caller that cleared it."""
        ...


class ChannelsUnitOfWork(Transaction, Protocol):
    """What subscriptions and polling read and write (limits under the tenant's lock)."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def posts(self) -> PostRepository: ...


class ChannelIdentityUnitOfWork(Protocol):
    """What learning a channel's username touches: the channel, and its posts' index state."""

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def posts(self) -> PostRepository: ...
