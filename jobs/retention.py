"""The retention job: deleted posts and old question logs go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.retention.service import RetentionService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

RETENTION = JobSpec(
    "retention",
    lambda s: s.retention_interval_hours * 3600.0,
    "remove posts gone from their channel (and their index points) and old question logs",
)
SPECS = (RETENTION,)


def jobs(retention: RetentionService) -> list[Job]:
    """The feature's job bound to the retention service."""

    async def run_retention(bot: Bot | None = None) -> JobResult:
        """Remove posts deleted from their channel (and their index points) and old logs."""
        return (await retention.run()).as_dict()

    return [Job(RETENTION, run_retention)]
