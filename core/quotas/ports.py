"""Ports of the quotas feature: the token ledger and the quota repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from core.channels.ports import ChannelRepository
from core.ports import PostRepository, TenantRepository, Transaction
from core.quotas.models import QuotaOverride, StorageUsage

if TYPE_CHECKING:  # media's ports use QuotaRepository from here
    from core.media.ports import MediaRepository


class TokenLedger(Protocol):
    """Per-tenant, per-UTC-day token counters with atomic reservations (SQL or Redis).

    Each reservation is a record that expires: a process that dies between reserving and
    settling holds its tokens only until then, not until the day ends.
    """

    async def try_reserve(
        self, tenant_id: int, day: date, tokens: int, limit: int, *, now: datetime | None = None
    ) -> str | None:
        """Reserve `tokens` unless used + live reservations + tokens would exceed `limit`
        (0 = no limit); the reservation's id, or None when refused."""
        ...

    async def settle(
        self,
        tenant_id: int,
        day: date,
        reservation: str,
        actual: int,
        *,
        now: datetime | None = None,
    ) -> int:
        """Drop a reservation (expired or not) and count `actual` tokens as used; returns the day's used."""
        ...

    async def usage(
        self, tenant_ids: Sequence[int], day: date, *, now: datetime | None = None
    ) -> dict[int, tuple[int, int]]:
        """(used, reserved by unexpired reservations) per tenant on a day; tenants without usage are left out."""
        ...


class QuotaRepository(Protocol):
    """Limit overrides, question counts and recorded storage usage (SQL)."""

    async def override(self, tenant_id: int) -> QuotaOverride | None: ...

    async def set_override(self, tenant_id: int, override: QuotaOverride) -> None: ...

    async def questions_since(self, since: datetime) -> dict[int, int]:
        """Questions asked per tenant since a moment."""
        ...

    async def count_question(
        self, tenant_id: int, day: date, day_start: datetime, limit: int
    ) -> tuple[bool, int]:
        """Count one question of the tenant's day if it is below `limit`, atomically.

        Returns (admitted, questions counted today). The day's counter starts from the
        tenant's logged questions since `day_start`.
        """
        ...

    async def storage_usage(self, tenant_id: int | None = None) -> list[StorageUsage]: ...

    async def record_storage_usage(self, items: Sequence[StorageUsage]) -> None: ...

    async def index_bytes_estimate(self, tenant_id: int) -> int:
        """Bytes of post text a tenant's index holds (for servers that do not report sizes)."""
        ...

    async def ingestion_lags(self) -> dict[str, float]:
        """Per channel (username or title): seconds between its newest post and storing it."""
        ...


class BudgetUnitOfWork(Transaction, Protocol):
    """What the budget gate reads: limit overrides and question counts."""

    @property
    def quotas(self) -> QuotaRepository: ...


class QuotaReportUnitOfWork(Transaction, Protocol):
    """What usage reports read."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def quotas(self) -> QuotaRepository: ...


class StorageUsageUnitOfWork(Transaction, Protocol):
    """What storage accounting reads and records."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def quotas(self) -> QuotaRepository: ...

    @property
    def media(self) -> MediaRepository: ...
