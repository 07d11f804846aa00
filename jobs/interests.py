"""Jobs of the interests feature: recompute the profiles of users with new questions."""

from __future__ import annotations

from typing import Any

from jobs.registry import Job, JobContext, register


async def sync_interests(ctx: JobContext) -> dict[str, Any]:
    """Sync every user with questions since their last sync; failures go to the DLQ."""
    return (await ctx.container.interests.sync.run()).as_dict()


async def refresh_dlq_metrics(ctx: JobContext) -> dict[str, Any]:
    """Set the DLQ length gauge of every stream (also refreshed on each /metrics scrape)."""
    overview = await ctx.container.dlq.overview()
    for info in overview:
        ctx.container.metrics.dlq_length(info.stream, info.length)
    return {info.stream: info.length for info in overview}


register(
    Job(
        "interests-sync",
        sync_interests,
        lambda s: s.interests_sync_interval_minutes * 60.0,
        "recompute the interest profiles of users with new questions (failures go to the DLQ)",
    )
)
register(
    Job(
        "dlq-metrics",
        refresh_dlq_metrics,
        lambda s: 60.0,
        "set the DLQ length gauges (tgassist_dlq_entries) from the dead-letter streams",
    )
)
