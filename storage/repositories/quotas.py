"""Limit overrides, question counts and recorded storage usage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.models import SourceKind
from core.quotas.models import QuotaOverride, StorageUsage
from storage.models import ChannelRow, PostRow, QuestionRow, SubscriptionRow
from storage.models.integrity import QuestionCounterRow
from storage.models.quotas import TenantQuotaOverrideRow, TenantStorageUsageRow
from storage.repositories._upsert import upsert

_OVERRIDE_FIELDS = [item.name for item in fields(QuotaOverride)]


class SqlQuotaRepository:
    """Quota data in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def override(self, tenant_id: int) -> QuotaOverride | None:
        """The tenant's limit overrides, if any."""
        row = await self._session.get(TenantQuotaOverrideRow, tenant_id)
        if row is None:
            return None
        return QuotaOverride(**{name: getattr(row, name) for name in _OVERRIDE_FIELDS})

    async def set_override(self, tenant_id: int, override: QuotaOverride) -> None:
        """Store the tenant's overrides (replacing earlier ones)."""
        values = {name: getattr(override, name) for name in _OVERRIDE_FIELDS}
        statement = upsert(
            self._session,
            TenantQuotaOverrideRow.__table__,
            keys=["tenant_id"],
            update=[*_OVERRIDE_FIELDS, "updated_at"],
        ).values(tenant_id=tenant_id, updated_at=utc_now(), **values)
        await self._session.execute(statement)

    async def questions_since(self, since: datetime) -> dict[int, int]:
        """Questions asked per tenant since a moment."""
        rows = await self._session.execute(
            select(QuestionRow.tenant_id, func.count(QuestionRow.id))
            .where(QuestionRow.created_at >= since)
            .group_by(QuestionRow.tenant_id)
        )
        return {tenant_id: int(count) for tenant_id, count in rows}

    async def count_question(
        self, tenant_id: int, day: date, day_start: datetime, limit: int
    ) -> tuple[bool, int]:
        """Count one question of the tenant's day if it is below `limit`, atomically: the
        conditional UPDATE waits for concurrent ones (row lock / SQLite's write lock)."""
        logged = (
            select(func.count(QuestionRow.id))
            .where(QuestionRow.tenant_id == tenant_id, QuestionRow.created_at >= day_start)
            .scalar_subquery()
        )
        seed = upsert(
            self._session, QuestionCounterRow.__table__, keys=["tenant_id", "day"], update=[]
        ).values(tenant_id=tenant_id, day=day, asked=logged)
        await self._session.execute(seed)
        counter = (QuestionCounterRow.tenant_id == tenant_id, QuestionCounterRow.day == day)
        result = await self._session.execute(
            update(QuestionCounterRow)
            .where(*counter, QuestionCounterRow.asked < limit)
            .values(asked=QuestionCounterRow.asked + 1)
        )
        asked = await self._session.scalar(select(QuestionCounterRow.asked).where(*counter))
        return bool(result.rowcount), int(asked or 0)  # type: ignore[attr-defined]

    async def storage_usage(self, tenant_id: int | None = None) -> list[StorageUsage]:
        """Recorded usage rows, of one tenant or of all."""
        query = select(TenantStorageUsageRow).order_by(
            TenantStorageUsageRow.tenant_id, TenantStorageUsageRow.content_type
        )
        if tenant_id is not None:
            query = query.where(TenantStorageUsageRow.tenant_id == tenant_id)
        return [
            StorageUsage(
                tenant_id=row.tenant_id,
                content_type=row.content_type,
                bytes=row.bytes,
                objects=row.object_count,
                computed_at=row.computed_at,
            )
            for row in await self._session.scalars(query)
        ]

    async def record_storage_usage(self, items: Sequence[StorageUsage]) -> None:
        """Upsert usage rows (one per tenant and content type)."""
        now = utc_now()
        rows = [
            {
                "tenant_id": item.tenant_id,
                "content_type": item.content_type,
                "bytes": item.bytes,
                "object_count": item.objects,
                "computed_at": item.computed_at or now,
            }
            for item in items
        ]
        if not rows:
            return
        statement = upsert(
            self._session,
            TenantStorageUsageRow.__table__,
            keys=["tenant_id", "content_type"],
            update=["bytes", "object_count", "computed_at"],
        )
        await self._session.execute(statement, rows)

    async def index_bytes_estimate(self, tenant_id: int) -> int:
        """UTF-8-ish size of the post texts of the tenant's channels."""
        total = await self._session.scalar(
            select(func.coalesce(func.sum(func.length(PostRow.text)), 0))
            .join(SubscriptionRow, SubscriptionRow.channel_id == PostRow.channel_id)
            .where(SubscriptionRow.tenant_id == tenant_id)
        )
        return int(total or 0)

    async def ingestion_lags(self) -> dict[str, float]:
        """Per channel: how long after its newest post was published it was stored."""
        rows = await self._session.execute(
            select(
                ChannelRow.username,
                ChannelRow.title,
                func.max(PostRow.date),
                func.max(PostRow.created_at),
            )
            .join(PostRow, PostRow.channel_id == ChannelRow.id)
            .where(ChannelRow.source != SourceKind.EXPORT.value)  # imported history is not lag
            .group_by(ChannelRow.id, ChannelRow.username, ChannelRow.title)
        )
        lags = {}
        for username, title, newest, stored in rows:
            if newest is None or stored is None:
                continue
            newest, stored = _aware(newest), _aware(stored)
            lags[username or title] = max(0.0, (stored - newest).total_seconds())
        return lags


def _aware(moment: datetime) -> datetime:
    # Aggregates bypass the column type, so SQLite hands back naive (UTC) timestamps or strings.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
