"""Wiring of the trends feature: detector, service, alert outbox, send-rate limiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from adapters.ratelimit.local import LocalRateLimiter
from app.settings import Settings
from app.wiring.questions import build_chat_model
from core.extras import require
from core.metrics import NULL_METRICS, Metrics
from core.rag.ports import QuestionGate
from core.trends.detector import TrendDetector
from core.trends.models import SendLimits, TrendParams
from core.trends.outbox import AlertOutbox
from core.trends.ports import InterestScorer, SendRateLimiter
from core.trends.service import AlertPolicy, TrendService
from core.trends.summary import StorySummarizer
from storage.repositories import UnitOfWorkFactory

if TYPE_CHECKING:  # aiogram loads slowly; CLI commands without a bot never need it
    from aiogram import Bot

    from bot.broadcast import AlertBroadcaster


@dataclass
class TrendServices:
    """Everything of the trends feature, built once per container."""

    service: TrendService
    outbox: AlertOutbox
    limiter: SendRateLimiter
    window_hours: float
    metrics: Metrics = NULL_METRICS
    _broadcasters: dict[int, AlertBroadcaster] = field(default_factory=dict)

    def broadcaster(self, bot: Bot) -> AlertBroadcaster:
        """The broadcaster sending this container's alerts through `bot` (one per bot, so
        the detection job and the delivery job never run two passes at once)."""
        from bot.broadcast import AlertBroadcaster

        found = self._broadcasters.get(id(bot))
        if found is None:
            found = AlertBroadcaster(
                bot,
                self.outbox,
                self.limiter,
                window_hours=self.window_hours,
                metrics=self.metrics,
            )
            self._broadcasters[id(bot)] = found
        return found

    async def close(self) -> None:
        """Release the limiter's connection."""
        await self.limiter.close()


def trend_params(settings: Settings) -> TrendParams:
    """Detector parameters from settings."""
    return TrendParams(
        window=timedelta(hours=settings.trends_window_hours),
        baseline=timedelta(days=settings.trends_baseline_days),
        min_channels=settings.trends_min_channels,
        min_z=settings.trends_min_z,
    )


def build_limiter(settings: Settings) -> SendRateLimiter:
    """Shared through Redis when REDIS_URL is set, else in this process."""
    limits = SendLimits(
        overall_per_second=settings.alerts_rate_per_second,
        group_per_minute=settings.alerts_group_per_minute,
    )
    if settings.redis_url:
        require("redis", "redis")
        from adapters.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter.from_url(settings.redis_url, limits)
    return LocalRateLimiter(limits)


def build_trend_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    *,
    interests: InterestScorer | None = None,
    gate: QuestionGate | None = None,
    metrics: Metrics = NULL_METRICS,
) -> TrendServices:
    """The trends feature from settings; interests stay neutral unless a scorer is given.
    With an LLM configured, stories get summaries within each chat's budget (`gate`)."""
    policy = AlertPolicy(
        min_score=settings.alerts_min_score,
        interest_weight=settings.alerts_interest_weight,
        max_per_run=settings.alerts_max_per_run,
    )
    model = build_chat_model(settings) if settings.trends_summaries_per_run else None
    service = TrendService(
        uow_factory,
        TrendDetector(trend_params(settings)),
        policy=policy,
        interests=interests,
        summarizer=StorySummarizer(model, gate, retries=settings.llm_max_retries)
        if model
        else None,
        summaries_per_run=settings.trends_summaries_per_run,
    )
    return TrendServices(
        service=service,
        outbox=AlertOutbox(uow_factory, lease=timedelta(seconds=settings.alerts_lease_seconds)),
        limiter=build_limiter(settings),
        window_hours=settings.trends_window_hours,
        metrics=metrics,
    )
