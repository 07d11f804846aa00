"""Jobs of the trends feature: detection with alert queueing, alert delivery, pruning."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from core.trends.outbox import AlertOutbox
from core.trends.service import TREND_RETENTION, TrendService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.broadcast import AlertBroadcaster

DETECT = JobSpec(
    "trends",
    lambda s: s.trends_interval_minutes * 60,
    "detect stories several channels suddenly cover; queue and send one alert per chat",
)
DELIVER = JobSpec(
    "trend-alerts",
    lambda s: s.alerts_delivery_interval_seconds,
    "send queued trend alerts under Telegram's rate limits",
)
PRUNE = JobSpec(
    "trends-prune",
    lambda s: 24 * 3600.0,
    f"forget trends not seen for {TREND_RETENTION.days} days (their alerts keep the outbox's memory)",
)
SPECS = (DETECT, DELIVER, PRUNE)


def jobs(
    service: TrendService,
    outbox: AlertOutbox,
    broadcaster: Callable[[Bot], AlertBroadcaster],
) -> list[Job]:
    """The feature's jobs bound to the trend service, the outbox and the broadcaster."""

    async def deliver(bot: Bot | None) -> JobResult:
        if bot is None:  # e.g. a one-off run without a bot: alerts stay queued for the bot
            counts = await outbox.counts()
            return {"delivery": "skipped (no bot)", "pending": counts.get("pending", 0)}
        report = await broadcaster(bot).deliver_pending()
        summary = asdict(report)
        summary.pop("errors")
        return {f"alerts_{key}": value for key, value in summary.items()}

    async def detect_trends(bot: Bot | None = None) -> JobResult:
        """Detect every tenant's trends, store them, queue alerts for new ones, send them."""
        report = await service.refresh()
        result: JobResult = {
            "tenants": report.tenants,
            "trends": report.trends,
            "new_trends": report.new_trends,
            "alerts_queued": report.alerts_queued,
            "errors": report.errors,
        }
        result.update(await deliver(bot))
        return result

    async def deliver_alerts(bot: Bot | None = None) -> JobResult:
        """Send queued trend alerts (and resume those a crashed process left behind)."""
        return await deliver(bot)

    async def prune_trends(bot: Bot | None = None) -> JobResult:
        """Forget trends nobody has seen for the retention period."""
        return {"pruned": await service.prune()}

    return [Job(DETECT, detect_trends), Job(DELIVER, deliver_alerts), Job(PRUNE, prune_trends)]
