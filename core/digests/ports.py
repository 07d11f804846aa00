"""Ports of digests: their storage, the story writer's model, and how a digest becomes parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from core.delivery.ports import MessageOutboxRepository
from core.digests.models import Digest, DigestPost, DigestSchedule, DigestTarget
from core.ports import TenantRepository, Transaction
from core.trends.models import StoredTrend
from core.trends.ports import TrendAlertRepository


class DigestRepository(Protocol):
    """Schedules, and the posts and trends of a period."""

    async def schedule(self, tenant_id: int) -> DigestSchedule | None: ...

    async def save(self, tenant_id: int, schedule: DigestSchedule, now: datetime) -> None: ...

    async def turn_off(self, tenant_id: int) -> None: ...

    async def scheduled(self) -> list[DigestTarget]:
        """Every chat whose digests are on."""
        ...

    async def cover(self, tenant_id: int, old: datetime | None, new: datetime) -> bool:
        """Move `covered_until` from `old` to `new`; False when someone else did first."""
        ...

    async def top_posts(
        self, tenant_id: int, since: datetime, until: datetime, limit: int
    ) -> list[DigestPost]:
        """The chat's posts of the period, most read first."""
        ...

    async def posts(self, post_ids: Sequence[int]) -> dict[int, DigestPost]: ...

    async def trends_between(
        self, tenant_id: int, since: datetime, until: datetime
    ) -> list[StoredTrend]:
        """The chat's trends seen during the period."""
        ...


# Turns a digest (language, digest, IANA zone) into message parts split on story boundaries.
DigestRenderer = Callable[[str, Digest, str], list[str]]


class DigestsUnitOfWork(Transaction, Protocol):
    """What digests read and write."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def digests(self) -> DigestRepository: ...

    @property
    def messages(self) -> MessageOutboxRepository: ...

    @property
    def trend_alerts(self) -> TrendAlertRepository: ...
