"""Per-tenant quotas and the budget gate over a daily LLM token budget (UTC days).

Every LLM call (questions, vision) goes through `BudgetGate.reserve`: the estimated tokens are
reserved atomically in the ledger (SQL, or Redis shared between processes) so concurrent calls
cannot overspend, then `commit(actual)` books what was really used, or `release()` gives the
reservation back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from types import TracebackType

import structlog

from core.clock import Clock, next_utc_midnight, utc_day, utc_now
from core.errors import CoreError
from core.metrics import NULL_METRICS, Metrics
from core.ports import UnitOfWorkFactory
from core.quotas.models import QuotaKind, QuotaOverride, TenantLimits, TokenUsage
from core.quotas.ports import BudgetUnitOfWork, TokenLedger

log = structlog.get_logger(__name__)


class QuotaExceeded(CoreError):
    """A tenant is at one of its limits; `resets_at` is when a daily limit starts afresh."""

    def __init__(
        self, kind: QuotaKind, limit: int, used: int, resets_at: datetime | None = None
    ) -> None:
        when = f", resets at {resets_at:%Y-%m-%d %H:%M} UTC" if resets_at else ""
        super().__init__(f"{kind.value} limit of {limit} reached ({used} used{when})")
        self.kind = kind
        self.limit = limit
        self.used = used
        self.resets_at = resets_at


class BudgetExhausted(QuotaExceeded):
    """The tenant's LLM token budget for today cannot cover the request."""


class Reservation:
    """Tokens held for one LLM call; commit the actual usage or release (also on exit)."""

    def __init__(
        self, gate: BudgetGate, tenant_id: int, day: date, tokens: int, reservation_id: str
    ) -> None:
        self.tenant_id = tenant_id
        self.day = day
        self.tokens = tokens
        self.id = reservation_id
        self._gate = gate
        self._settled = False

    @property
    def settled(self) -> bool:
        """Whether commit or release already happened."""
        return self._settled

    async def commit(self, actual_tokens: int | None = None) -> None:
        """Book the tokens really used (the estimate when unknown) and drop the reservation."""
        await self._settle(self.tokens if actual_tokens is None else max(0, actual_tokens))

    async def release(self) -> None:
        """Give the reservation back unused (the call failed or was not made)."""
        await self._settle(0)

    async def _settle(self, actual: int) -> None:
        if self._settled:
            return
        self._settled = True
        await self._gate._settle(self, actual)

    async def __aenter__(self) -> Reservation:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.release()  # a no-op after commit


class BudgetGate:
    """Limits from settings with per-tenant overrides; atomic daily token reservations."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[BudgetUnitOfWork],
        ledger: TokenLedger,
        defaults: TenantLimits,
        *,
        metrics: Metrics = NULL_METRICS,
        clock: Clock = utc_now,
        cache_seconds: float = 30.0,
    ) -> None:
        self._uow_factory = uow_factory
        self._ledger = ledger
        self._defaults = defaults
        self._metrics = metrics
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[int, tuple[float, TenantLimits]] = {}
        # Set by the composition root: stores the question log queued in this process first.
        self.flush_question_log: Callable[[], Awaitable[None]] | None = None

    @property
    def defaults(self) -> TenantLimits:
        """The limits of tenants without an override."""
        return self._defaults

    def resets_at(self) -> datetime:
        """When today's daily limits reset (the next UTC midnight)."""
        return next_utc_midnight(self._clock())

    # --- limits -------------------------------------------------------------------------------

    async def limits(self, tenant_id: int) -> TenantLimits:
        """The tenant's effective limits (cached briefly; overrides change rarely)."""
        cached = self._cache.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        async with self._uow_factory() as uow:
            override = await uow.quotas.override(tenant_id)
        limits = override.apply(self._defaults) if override else self._defaults
        self._cache[tenant_id] = (time.monotonic(), limits)
        return limits

    async def set_override(self, tenant_id: int, override: QuotaOverride) -> TenantLimits:
        """Replace a tenant's limit overrides (None fields fall back to the defaults)."""
        async with self._uow_factory() as uow:
            await uow.quotas.set_override(tenant_id, override)
            await uow.commit()
        self._cache.pop(tenant_id, None)
        log.info("quota_override_set", tenant_id=tenant_id, **_present(override))
        return await self.limits(tenant_id)

    async def channel_limit(self, tenant_id: int) -> int:
        """How many channels the tenant may follow (0 = unlimited)."""
        return (await self.limits(tenant_id)).channels

    # --- tokens -------------------------------------------------------------------------------

    async def token_usage(self, tenant_id: int) -> TokenUsage:
        """Today's used and reserved tokens against the budget."""
        return (await self.token_usage_many([tenant_id]))[tenant_id]

    async def token_usage_many(self, tenant_ids: Sequence[int]) -> dict[int, TokenUsage]:
        """Today's token usage of several tenants at once."""
        today = utc_day(self._clock())
        counters = await self._ledger.usage(list(tenant_ids), today, now=self._clock())
        result = {}
        for tenant_id in tenant_ids:
            used, reserved = counters.get(tenant_id, (0, 0))
            limit = (await self.limits(tenant_id)).daily_tokens
            result[tenant_id] = TokenUsage(day=today, used=used, reserved=reserved, limit=limit)
        return result

    async def is_quota_exhausted(self, tenant_id: int) -> bool:
        """True when the tenant's LLM token budget for today is used up (or fully reserved)."""
        return (await self.token_usage(tenant_id)).exhausted

    async def reserve(self, tenant_id: int, estimated_tokens: int) -> Reservation:
        """Hold `estimated_tokens` of today's budget; raises BudgetExhausted when they do not fit."""
        tokens = max(0, int(estimated_tokens))
        today = utc_day(self._clock())
        limit = (await self.limits(tenant_id)).daily_tokens
        reservation_id = await self._ledger.try_reserve(
            tenant_id, today, tokens, limit, now=self._clock()
        )
        if reservation_id is None:
            usage = await self.token_usage(tenant_id)
            self._metrics.quota_violation(tenant_id, QuotaKind.DAILY_TOKENS.value)
            log.info(
                "budget_exhausted",
                tenant_id=tenant_id,
                requested=tokens,
                used=usage.used,
                reserved=usage.reserved,
                limit=limit,
            )
            raise BudgetExhausted(
                QuotaKind.DAILY_TOKENS, limit, usage.used, next_utc_midnight(self._clock())
            )
        return Reservation(self, tenant_id, today, tokens, reservation_id)

    async def _settle(self, reservation: Reservation, actual: int) -> None:
        used = await self._ledger.settle(
            reservation.tenant_id, reservation.day, reservation.id, actual, now=self._clock()
        )
        limit = (await self.limits(reservation.tenant_id)).daily_tokens
        self._metrics.budget_tokens(reservation.tenant_id, used, limit)

    # --- other limits -------------------------------------------------------------------------

    async def questions_today(self) -> dict[int, int]:
        """Questions asked per tenant since the start of today (UTC)."""
        start = next_utc_midnight(self._clock()) - timedelta(days=1)
        if self.flush_question_log is not None:
            await self.flush_question_log()
        async with self._uow_factory() as uow:
            return await uow.quotas.questions_since(start)

    async def check_question(self, tenant_id: int) -> None:
        """Count a question; raise QuotaExceeded when the tenant asked its daily number already.

        One tenant's counter is read and bumped in one statement, so concurrent questions
        cannot pass the limit together (and no other tenant's questions are counted).
        """
        limit = (await self.limits(tenant_id)).daily_questions
        if limit <= 0:
            return
        now = self._clock()
        start = next_utc_midnight(now) - timedelta(days=1)
        async with self._uow_factory() as uow:
            admitted, asked = await uow.quotas.count_question(tenant_id, utc_day(now), start, limit)
            await uow.commit()
        if not admitted:
            self._metrics.quota_violation(tenant_id, QuotaKind.DAILY_QUESTIONS.value)
            raise QuotaExceeded(
                QuotaKind.DAILY_QUESTIONS, limit, asked, next_utc_midnight(self._clock())
            )

    async def check_storage(self, tenant_id: int, stored_bytes: int, adding: int = 0) -> None:
        """Raise QuotaExceeded when storing `adding` more bytes would pass the storage limit."""
        limit = (await self.limits(tenant_id)).storage_bytes
        if limit > 0 and stored_bytes + adding > limit:
            self._metrics.quota_violation(tenant_id, QuotaKind.STORAGE_BYTES.value)
            raise QuotaExceeded(QuotaKind.STORAGE_BYTES, limit, stored_bytes)


def _present(override: QuotaOverride) -> dict[str, int]:
    return {
        kind.value: value
        for kind in QuotaKind
        if (value := getattr(override, kind.value)) is not None
    }
