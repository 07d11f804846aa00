"""Jobs of the quotas feature: storage accounting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.quotas.storage_usage import StorageQuotaService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

STORAGE_USAGE = JobSpec(
    "storage-usage",
    lambda s: s.storage_usage_interval_hours * 3600.0,
    "measure each tenant's storage by type into tenant_storage_usage (default every 6 h)",
)
SPECS = (STORAGE_USAGE,)


def jobs(storage_usage: StorageQuotaService) -> list[Job]:
    """The feature's job bound to the storage accounting service."""

    async def measure_storage(bot: Bot | None = None) -> JobResult:
        """Measure every tenant's media, vision, index and posts, and record it."""
        return await storage_usage.run()

    return [Job(STORAGE_USAGE, measure_storage)]
