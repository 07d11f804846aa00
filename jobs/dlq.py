"""Jobs of the dead-letter queue: keep the DLQ length gauges current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.dlq.service import DeadLetterService
from core.metrics import Metrics
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

METRICS = JobSpec(
    "dlq-metrics",
    lambda s: 60.0,
    "set the DLQ length gauges (tgassist_dlq_entries) from the dead-letter streams",
)
SPECS = (METRICS,)


def jobs(dlq: DeadLetterService, metrics: Metrics) -> list[Job]:
    """The feature's job bound to the DLQ service and the metrics."""

    async def refresh_dlq_metrics(bot: Bot | None = None) -> JobResult:
        """Set the DLQ length gauge of every stream (also refreshed on each /metrics scrape)."""
        overview = await dlq.overview()
        for info in overview:
            metrics.dlq_length(info.stream, info.length)
        return {info.stream: info.length for info in overview}

    return [Job(METRICS, refresh_dlq_metrics)]
