"""Ports of the trends feature: its storage, the interest scorer, the send-rate limiter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.models import Tenant
from core.ports import TenantRepository, Transaction
from core.trends.models import AlertToSend, PreviousTrend, StoredTrend, Trend, TrendPost


@dataclass(frozen=True, slots=True)
class DetectionTarget:
    """A tenant with the channels its trends are detected over."""

    tenant: Tenant
    channel_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to write into the outbox (ignored when the chat already has it)."""

    tenant_id: int
    chat_id: int
    trend_key: str
    trend_id: int
    score: float
    stage: int = 0  # 0: the story's first alert; n: its n-th escalation
    since: datetime | None = None  # an escalation: the chat's previous alert about the story
    new_posts: int | None = None  # ...and what is new since then
    new_channels: int | None = None


@dataclass(frozen=True, slots=True)
class AlertMark:
    """The latest alert a chat has about a story."""

    stage: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Mute:
    """A trend a chat muted."""

    trend_key: str
    stems: list[str]


class TrendRepository(Protocol):
    """Posts to detect over, and the tenants' trends, mutes and runs."""

    async def targets(self, min_channels: int) -> list[DetectionTarget]: ...

    async def posts_between(
        self, tenant_id: int, since: datetime, until: datetime
    ) -> list[TrendPost]: ...

    async def previous(self, tenant_id: int, since: datetime) -> list[PreviousTrend]: ...

    async def save_run(
        self, tenant_id: int, ran_at: datetime, trends: Sequence[Trend]
    ) -> list[StoredTrend]: ...

    async def current(self, tenant_id: int, since: datetime) -> list[StoredTrend]: ...

    async def seen_between(
        self, tenant_id: int, since: datetime, until: datetime
    ) -> list[StoredTrend]: ...

    async def by_key(self, tenant_id: int, trend_key: str) -> StoredTrend | None: ...

    async def mute(
        self, tenant_id: int, trend_key: str, stems: list[str], user_id: int | None
    ) -> bool: ...

    async def mutes(self, tenant_id: int, since: datetime) -> list[Mute]: ...

    async def prune(self, before: datetime) -> int:
        """Forget trends not seen since `before`; returns how many."""
        ...


class TrendAlertRepository(Protocol):
    """The alert outbox."""

    async def enqueue(self, alerts: Sequence[NewAlert], now: datetime) -> int: ...

    async def claim(
        self, token: str, now: datetime, until: datetime, limit: int
    ) -> list[AlertToSend]: ...

    async def release(self, token: str, alert_ids: Sequence[int]) -> None: ...

    async def mark_sent(
        self, alert_id: int, token: str, message_id: int | None, now: datetime
    ) -> bool: ...

    async def mark_failed(self, alert_id: int, token: str, error: str) -> None: ...

    async def retry_later(
        self, alert_id: int, token: str, error: str, at: datetime, max_attempts: int
    ) -> None: ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> set[int]:
        """Move the tenant and the chat's alerts to the new id; returns the moved alert ids."""
        ...

    async def history(self, chat_id: int, trend_keys: Sequence[str]) -> dict[str, AlertMark]: ...

    async def counts(self) -> dict[str, int]: ...


class InterestScorer(Protocol):
    """How much a chat's people care about a trend: -1 (not at all) .. 0 (neutral) .. 1."""

    async def affinity(self, tenant: Tenant, trend: Trend) -> float: ...


class SendRateLimiter(Protocol):
    """Reserves send slots under Telegram's limits; shared between processes when it can be."""

    async def reserve(self, chat_id: int, is_group: bool) -> float:
        """Take the next free slot for this chat; returns seconds to wait before sending."""
        ...

    async def penalize(self, chat_id: int, seconds: float) -> None:
        """Telegram said "retry after": keep this chat, and everyone, quiet that long."""
        ...

    async def close(self) -> None: ...


class TrendsUnitOfWork(Transaction, Protocol):
    """What detection, /trends and mutes read and write."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def trends(self) -> TrendRepository: ...

    @property
    def trend_alerts(self) -> TrendAlertRepository: ...


class OutboxUnitOfWork(Transaction, Protocol):
    """What alert delivery reads and writes."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def trend_alerts(self) -> TrendAlertRepository: ...
