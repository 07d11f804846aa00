"""Digests in SQL: schedules, and the posts and trends of a period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.delivery.models import MessageKind
from core.digests.models import DigestPost, DigestSchedule, DigestTarget, Frequency
from core.models import permalink
from core.trends.models import StoredTrend
from storage.models import ChannelRow, PostRow, SubscriptionRow, TenantRow
from storage.models.digests import DigestSettingsRow
from storage.repositories.outbox_state import thread_ids
from storage.repositories.trends import SqlTrendRepository, channel_name


def _schedule(row: DigestSettingsRow) -> DigestSchedule:
    return DigestSchedule(
        frequency=Frequency(row.frequency),
        minute_of_day=row.minute_of_day,
        weekday=row.weekday,
        timezone=row.timezone,
        topics=tuple(row.topics or ()),
        covered_until=row.covered_until,
    )


def _post(row: Any) -> DigestPost:
    post, username, title, telegram_id = row
    return DigestPost(
        post_id=post.id,
        channel_id=post.channel_id,
        channel_name=channel_name(username, title),
        message_id=post.message_id,
        url=permalink(username, telegram_id, post.message_id),
        date=post.date,
        text=post.text,
        views=post.views or 0,
    )


_POST_COLUMNS = (PostRow, ChannelRow.username, ChannelRow.title, ChannelRow.telegram_id)


class SqlDigestRepository:
    """Digest schedules and what a digest is made of."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(self, tenant_id: int) -> DigestSchedule | None:
        """The chat's settings, None when never set."""
        row = await self._session.get(DigestSettingsRow, tenant_id)
        return _schedule(row) if row is not None else None

    async def save(self, tenant_id: int, schedule: DigestSchedule, now: datetime) -> None:
        """Insert or replace the chat's settings."""
        row = await self._session.get(DigestSettingsRow, tenant_id)
        if row is None:
            row = DigestSettingsRow(tenant_id=tenant_id)
            self._session.add(row)
        row.frequency = schedule.frequency.value
        row.minute_of_day = schedule.minute_of_day
        row.weekday = schedule.weekday
        row.timezone = schedule.timezone
        row.topics = list(schedule.topics)
        row.covered_until = schedule.covered_until
        row.updated_at = now
        await self._session.flush()

    async def turn_off(self, tenant_id: int) -> None:
        """No more digests for this chat (it blocked the bot)."""
        await self._session.execute(
            update(DigestSettingsRow)
            .where(DigestSettingsRow.tenant_id == tenant_id)
            .values(frequency=Frequency.OFF.value)
        )

    async def scheduled(self) -> list[DigestTarget]:
        """Every chat whose digests are on."""
        rows = (
            await self._session.execute(
                select(DigestSettingsRow, TenantRow.chat_id, TenantRow.language)
                .join(TenantRow, TenantRow.id == DigestSettingsRow.tenant_id)
                .where(DigestSettingsRow.frequency != Frequency.OFF.value)
            )
        ).all()
        threads = await thread_ids(
            self._session, [row.tenant_id for row, _, _ in rows], MessageKind.DIGEST
        )
        return [
            DigestTarget(
                row.tenant_id, chat_id, language, _schedule(row), threads.get(row.tenant_id)
            )
            for row, chat_id, language in rows
        ]

    async def cover(self, tenant_id: int, old: datetime | None, new: datetime) -> bool:
        """Compare-and-set of `covered_until`."""
        column = DigestSettingsRow.covered_until
        result = await self._session.execute(
            update(DigestSettingsRow)
            .where(
                DigestSettingsRow.tenant_id == tenant_id,
                column.is_(None) if old is None else column == old,
            )
            .values(covered_until=new)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def top_posts(
        self, tenant_id: int, since: datetime, until: datetime, limit: int
    ) -> list[DigestPost]:
        """The chat's posts of the period, most read first."""
        rows = await self._session.execute(
            select(*_POST_COLUMNS)
            .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
            .join(
                SubscriptionRow,
                and_(
                    SubscriptionRow.channel_id == PostRow.channel_id,
                    SubscriptionRow.tenant_id == tenant_id,
                ),
            )
            .where(PostRow.date >= since, PostRow.date < until)
            .order_by(func.coalesce(PostRow.views, 0).desc(), PostRow.id)
            .limit(limit)
        )
        return [_post(row) for row in rows]

    async def posts(self, post_ids: Sequence[int]) -> dict[int, DigestPost]:
        """Posts by id."""
        if not post_ids:
            return {}
        rows = await self._session.execute(
            select(*_POST_COLUMNS)
            .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
            .where(PostRow.id.in_(set(post_ids)))
        )
        return {found.post_id: found for found in map(_post, rows)}

    async def trends_between(
        self, tenant_id: int, since: datetime, until: datetime
    ) -> list[StoredTrend]:
        """The chat's trends seen during the period, best first (the trend stories' query)."""
        return await SqlTrendRepository(self._session).seen_between(tenant_id, since, until)
