"""Jobs of the trends feature: detection with alert queueing, and alert delivery."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import structlog

from jobs.registry import Job, JobContext, register

log = structlog.get_logger(__name__)


async def _deliver(ctx: JobContext) -> dict[str, Any]:
    if ctx.bot is None:  # e.g. a one-off run without a bot: alerts stay queued for the bot
        counts = await ctx.container.trends.outbox.counts()
        return {"delivery": "skipped (no bot)", "pending": counts.get("pending", 0)}
    report = await ctx.container.trends.broadcaster(ctx.bot).deliver_pending()
    summary = asdict(report)
    summary.pop("errors")
    return {f"alerts_{key}": value for key, value in summary.items()}


async def detect_trends(ctx: JobContext) -> dict[str, Any]:
    """Detect every tenant's trends, store them, queue alerts for new ones, send them."""
    report = await ctx.container.trends.service.refresh()
    result: dict[str, Any] = {
        "tenants": report.tenants,
        "trends": report.trends,
        "new_trends": report.new_trends,
        "alerts_queued": report.alerts_queued,
        "errors": report.errors,
    }
    result.update(await _deliver(ctx))
    return result


async def deliver_alerts(ctx: JobContext) -> dict[str, Any]:
    """Send queued trend alerts (and resume those a crashed process left behind)."""
    return await _deliver(ctx)


register(
    Job(
        "trends",
        detect_trends,
        lambda s: s.trends_interval_minutes * 60,
        "detect stories several channels suddenly cover; queue and send one alert per chat",
    )
)
register(
    Job(
        "trend-alerts",
        deliver_alerts,
        lambda s: s.alerts_delivery_interval_seconds,
        "send queued trend alerts under Telegram's rate limits",
    )
)
