"""The metrics port: what services record; adapters/metrics.py implements it with prometheus-client.

Services receive a `Metrics` (the default `NULL_METRICS` records nothing), so the core stays free
of the Prometheus library and tests can pass a recorder of their own.
"""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """Events and figures worth watching in production."""

    def tenant_storage(self, tenant_id: int, content_type: str, size: int, objects: int) -> None:
        """A tenant's stored bytes and object count of one content type."""
        ...

    def quota_violation(self, tenant_id: int, limit: str) -> None:
        """A request was refused or degraded because a tenant hit a limit."""
        ...

    def budget_tokens(self, tenant_id: int, used: int, limit: int) -> None:
        """A tenant's LLM tokens used today and its daily budget (0 = unlimited)."""
        ...

    def vision_outcome(self, outcome: str, reason: str = "") -> None:
        """One post's images analysed, skipped (with the reason) or failed."""
        ...

    def question(self, status: str, seconds: float) -> None:
        """One question answered with a status, and how long it took."""
        ...

    def alert_sent(self) -> None:
        """One trend alert delivered."""
        ...

    def telegram_rate_limited(self) -> None:
        """Telegram answered 429 Too Many Requests."""
        ...

    def dlq_length(self, stream: str, length: int) -> None:
        """How many entries a dead-letter stream holds."""
        ...

    def ingestion_lag(self, channel: str, seconds: float) -> None:
        """How late the newest post of a channel was stored after it was published."""
        ...


class NullMetrics:
    """Records nothing (the default when no metrics backend is configured)."""

    def tenant_storage(self, tenant_id: int, content_type: str, size: int, objects: int) -> None:
        """Ignore."""

    def quota_violation(self, tenant_id: int, limit: str) -> None:
        """Ignore."""

    def budget_tokens(self, tenant_id: int, used: int, limit: int) -> None:
        """Ignore."""

    def vision_outcome(self, outcome: str, reason: str = "") -> None:
        """Ignore."""

    def question(self, status: str, seconds: float) -> None:
        """Ignore."""

    def alert_sent(self) -> None:
        """Ignore."""

    def telegram_rate_limited(self) -> None:
        """Ignore."""

    def dlq_length(self, stream: str, length: int) -> None:
        """Ignore."""

    def ingestion_lag(self, channel: str, seconds: float) -> None:
        """Ignore."""


NULL_METRICS: Metrics = NullMetrics()
