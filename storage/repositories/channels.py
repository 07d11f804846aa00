"""Channels, their poll state, and subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.index_progress.models import IndexedNotice
from core.models import Channel, SourceKind, SubscribedChannel
from storage.models import ChannelRow, PostRow, SubscriptionRow, TenantRow


def to_channel(row: ChannelRow) -> Channel:
    """Map a row to its DTO."""
    return Channel(
        id=row.id,
        username=row.username,
        title=row.title,
        source=SourceKind(row.source),
        telegram_id=row.telegram_id,
        last_message_id=row.last_message_id,
        last_polled_at=row.last_polled_at,
        poll_errors=row.poll_errors,
        last_error=row.last_error,
        last_error_kind=row.last_error_kind,
    )


class SqlChannelRepository:
    """Channels and subscriptions in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_username(self, username: str) -> Channel | None:
        """A channel by its (case-insensitive) public username."""
        row = await self._session.scalar(
            select(ChannelRow).where(ChannelRow.username == username.lower())
        )
        return to_channel(row) if row else None

    async def by_telegram_id(self, telegram_id: int) -> Channel | None:
        """A channel by its Telegram id."""
        row = await self._session.scalar(
            select(ChannelRow).where(ChannelRow.telegram_id == telegram_id)
        )
        return to_channel(row) if row else None

    async def by_id(self, channel_id: int) -> Channel | None:
        """A channel by database id."""
        row = await self._session.get(ChannelRow, channel_id)
        return to_channel(row) if row else None

    async def create(
        self, *, username: str | None, title: str, source: SourceKind, telegram_id: int | None
    ) -> Channel:
        """Store a new channel; if a concurrent request just stored it, return that one."""
        row = ChannelRow(
            username=username.lower() if username else None,
            title=title[:255],
            source=source.value,
            telegram_id=telegram_id,
            poll_errors=0,
            created_at=utc_now(),
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            existing = (await self.by_username(username) if username else None) or (
                await self.by_telegram_id(telegram_id) if telegram_id is not None else None
            )
            if existing is None:
                raise
            return existing
        return to_channel(row)

    async def update_info(
        self,
        channel_id: int,
        *,
        title: str | None = None,
        telegram_id: int | None = None,
        username: str | None = None,
        source: SourceKind | None = None,
    ) -> None:
        """Refresh what a source told about a channel."""
        values: dict[str, object] = {}
        if title:
            values["title"] = title[:255]
        if telegram_id is not None:
            values["telegram_id"] = telegram_id
        if username:
            values["username"] = username.lower()
        if source is not None:
            values["source"] = source.value
        if values:
            await self._session.execute(
                update(ChannelRow).where(ChannelRow.id == channel_id).values(**values)
            )

    async def clear_username(self, channel_id: int) -> None:
        """The channel has no public username any more (it went private)."""
        await self._session.execute(
            update(ChannelRow).where(ChannelRow.id == channel_id).values(username=None)
        )

    async def drop_unverified_subscriptions(self, channel_id: int) -> list[int]:
        """Unsubscribe every chat that never proved membership; returns their tenant ids."""
        unverified = (
            SubscriptionRow.channel_id == channel_id,
            SubscriptionRow.member_verified.is_(False),
        )
        tenants = list(
            await self._session.scalars(select(SubscriptionRow.tenant_id).where(*unverified))
        )
        if tenants:
            await self._session.execute(delete(SubscriptionRow).where(*unverified))
        return tenants

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
        """Remember a poll's outcome; errors count up, a success resets them."""
        values: dict[str, object] = {"last_polled_at": polled_at, "next_poll_at": next_poll_at}
        if error is None:
            values.update(poll_errors=0, last_error=None, last_error_kind=None)
        else:
            values.update(
                poll_errors=ChannelRow.poll_errors + 1,
                last_error=error[:1000],
                last_error_kind=(error_kind or "other")[:32],
            )
        if last_message_id is not None:
            values["last_message_id"] = last_message_id
        await self._session.execute(
            update(ChannelRow).where(ChannelRow.id == channel_id).values(**values)
        )

    async def due_for_poll(self, now: datetime, limit: int) -> list[Channel]:
        """Web-preview channels followed by a chat the bot is still in, whose time has come."""
        subscribed = (
            select(SubscriptionRow.channel_id)
            .join(TenantRow, TenantRow.id == SubscriptionRow.tenant_id)
            .where(TenantRow.active.is_(True))
            .distinct()
        )
        rows = await self._session.scalars(
            select(ChannelRow)
            .where(
                ChannelRow.source == SourceKind.WEB_PREVIEW.value,
                ChannelRow.username.is_not(None),  # a channel gone private has no preview
                ChannelRow.id.in_(subscribed),
                or_(ChannelRow.next_poll_at.is_(None), ChannelRow.next_poll_at <= now),
            )
            .order_by(ChannelRow.next_poll_at.is_(None).desc(), ChannelRow.next_poll_at)
            .limit(limit)
        )
        return [to_channel(row) for row in rows]

    async def subscribe(
        self,
        tenant_id: int,
        channel_id: int,
        user_id: int | None,
        *,
        member_verified: bool = False,
    ) -> bool:
        """Subscribe a tenant; False when it already was."""
        exists = await self._session.scalar(
            select(SubscriptionRow.id).where(
                SubscriptionRow.tenant_id == tenant_id, SubscriptionRow.channel_id == channel_id
            )
        )
        if exists is not None:
            return False
        try:
            async with self._session.begin_nested():
                self._session.add(
                    SubscriptionRow(
                        tenant_id=tenant_id,
                        channel_id=channel_id,
                        created_by=user_id,
                        created_at=utc_now(),
                        member_verified=member_verified,
                    )
                )
        except IntegrityError:  # a concurrent subscribe won the race
            return False
        return True

    async def unsubscribe(self, tenant_id: int, channel_id: int) -> bool:
        """Drop a subscription; False when there was none."""
        result = await self._session.execute(
            delete(SubscriptionRow).where(
                SubscriptionRow.tenant_id == tenant_id, SubscriptionRow.channel_id == channel_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def is_subscribed(self, tenant_id: int, channel_id: int) -> bool:
        """Whether the tenant follows the channel."""
        found = await self._session.scalar(
            select(SubscriptionRow.id).where(
                SubscriptionRow.tenant_id == tenant_id, SubscriptionRow.channel_id == channel_id
            )
        )
        return found is not None

    async def subscribed_channel_ids(self, tenant_id: int) -> set[int]:
        """Ids of the channels a tenant follows."""
        rows = await self._session.scalars(
            select(SubscriptionRow.channel_id).where(SubscriptionRow.tenant_id == tenant_id)
        )
        return set(rows)

    async def subscription_count(self, tenant_id: int) -> int:
        """How many channels a tenant follows."""
        count = await self._session.scalar(
            select(func.count()).where(SubscriptionRow.tenant_id == tenant_id)
        )
        return int(count or 0)

    async def subscribed(self, tenant_id: int) -> list[SubscribedChannel]:
        """A tenant's channels with post counts and the date of their newest post."""
        stats = (
            select(
                PostRow.channel_id,
                func.count(PostRow.id).label("posts"),
                func.max(PostRow.date).label("last_post"),
            )
            .group_by(PostRow.channel_id)
            .subquery()
        )
        rows = await self._session.execute(
            select(ChannelRow, SubscriptionRow.created_at, stats.c.posts, stats.c.last_post)
            .join(SubscriptionRow, SubscriptionRow.channel_id == ChannelRow.id)
            .outerjoin(stats, stats.c.channel_id == ChannelRow.id)
            .where(SubscriptionRow.tenant_id == tenant_id)
            .order_by(SubscriptionRow.created_at, ChannelRow.id)
        )
        result = []
        for channel, subscribed_at, posts, last_post in rows:
            result.append(
                SubscribedChannel(
                    channel=to_channel(channel),
                    post_count=int(posts or 0),
                    last_post_at=last_post,
                    subscribed_at=subscribed_at,
                )
            )
        return result

    async def subscriber_tenants(self, channel_id: int) -> list[int]:
        """Ids of the tenants that follow a channel."""
        rows = await self._session.scalars(
            select(SubscriptionRow.tenant_id).where(SubscriptionRow.channel_id == channel_id)
        )
        return list(rows)

    # --- notices "✅ @name: N posts indexed" (first hour) -----------------------------------

    async def set_indexed_notice(self, tenant_id: int, channel_id: int, message_id: int) -> None:
        """Remember the subscribe reply to edit once the channel is indexed for the tenant."""
        await self._session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.tenant_id == tenant_id, SubscriptionRow.channel_id == channel_id)
            .values(indexed_notice_message_id=message_id)
        )

    async def indexed_notices(self, tenant_id: int | None = None) -> list[IndexedNotice]:
        """Notices not sent yet, of one tenant or of all."""
        query = (
            select(SubscriptionRow, TenantRow.chat_id, TenantRow.language, ChannelRow)
            .join(TenantRow, TenantRow.id == SubscriptionRow.tenant_id)
            .join(ChannelRow, ChannelRow.id == SubscriptionRow.channel_id)
            .where(SubscriptionRow.indexed_notice_message_id.is_not(None))
            .order_by(SubscriptionRow.id)
        )
        if tenant_id is not None:
            query = query.where(SubscriptionRow.tenant_id == tenant_id)
        return [
            IndexedNotice(
                tenant_id=subscription.tenant_id,
                chat_id=chat_id,
                language=language,
                channel=to_channel(channel),
                message_id=subscription.indexed_notice_message_id or 0,
            )
            for subscription, chat_id, language, channel in await self._session.execute(query)
        ]

    async def clear_indexed_notice(self, tenant_id: int, channel_id: int, message_id: int) -> bool:
        """Claim a notice: True only for the one caller whose update cleared it."""
        result = await self._session.execute(
            update(SubscriptionRow)
            .where(
                SubscriptionRow.tenant_id == tenant_id,
                SubscriptionRow.channel_id == channel_id,
                SubscriptionRow.indexed_notice_message_id == message_id,
            )
            .values(indexed_notice_message_id=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
