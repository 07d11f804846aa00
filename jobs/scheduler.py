"""APScheduler inside the running event loop; a job never overlaps itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.locks import JobLocks
from jobs.base import Job, JobResult

if TYPE_CHECKING:
    from aiogram import Bot

    from app.settings import Settings

log = structlog.get_logger(__name__)


# A crashed holder keeps a job's lease at most this long (live holders renew it).
MIN_LEASE_SECONDS = 120.0


async def run_job(
    job: Job, locks: JobLocks, settings: Settings, bot: Bot | None = None
) -> JobResult:
    """Run a job once unless another process is running it; failures are logged, never raised."""
    lease = max(MIN_LEASE_SECONDS, job.spec.interval_seconds(settings))
    async with locks.hold(job.name, lease) as held:
        if not held:
            log.info("job_skipped", job=job.name, reason="running in another process")
            return {"skipped": "running in another process"}
        log.info("job_started", job=job.name)
        try:
            result = await job.run(bot)
        except Exception:
            log.exception("job_failed", job=job.name)
            return {"error": True}
    log.info("job_finished", job=job.name, **result)
    return result


def build_scheduler(
    jobs: Iterable[Job],
    locks: JobLocks,
    settings: Settings,
    bot: Bot | None = None,
    names: list[str] | None = None,
) -> AsyncIOScheduler:
    """A scheduler with the given jobs (or the named ones) at their configured intervals."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        if names is not None and job.name not in names:
            continue
        interval = job.spec.interval_seconds(settings)
        if interval <= 0:
            log.info("job_disabled", job=job.name)
            continue
        scheduler.add_job(
            run_job,
            "interval",
            seconds=interval,
            args=[job, locks, settings, bot],
            id=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(interval),
        )
    return scheduler
