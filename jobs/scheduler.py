"""APScheduler inside the running event loop; a job never overlaps itself."""

from __future__ import annotations

from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.registry import JOBS, Job, JobContext

log = structlog.get_logger(__name__)


# A crashed holder keeps a job's lease at most this long (live holders renew it).
MIN_LEASE_SECONDS = 120.0


async def run_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run a job once unless another process is running it; failures are logged, never raised."""
    settings = ctx.container.settings
    lease = max(MIN_LEASE_SECONDS, job.interval_seconds(settings))
    async with ctx.container.job_locks.hold(job.name, lease) as held:
        if not held:
            log.info("job_skipped", job=job.name, reason="running in another process")
            return {"skipped": "running in another process"}
        log.info("job_started", job=job.name)
        try:
            result = await job.func(ctx)
        except Exception:
            log.exception("job_failed", job=job.name)
            return {"error": True}
    log.info("job_finished", job=job.name, **result)
    return result


def build_scheduler(ctx: JobContext, names: list[str] | None = None) -> AsyncIOScheduler:
    """A scheduler with every registered job (or the named ones) at its configured interval."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, job in JOBS.items():
        if names is not None and name not in names:
            continue
        interval = job.interval_seconds(ctx.container.settings)
        if interval <= 0:
            log.info("job_disabled", job=name)
            continue
        scheduler.add_job(
            run_job,
            "interval",
            seconds=interval,
            args=[job, ctx],
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(interval),
        )
    return scheduler
