"""Jobs of the interests feature: recompute the profiles of users with new questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.interests.service import InterestSync
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

SYNC = JobSpec(
    "interests-sync",
    lambda s: s.interests_sync_interval_minutes * 60.0,
    "recompute the interest profiles of users with new questions (failures go to the DLQ)",
)
SPECS = (SYNC,)


def jobs(sync: InterestSync) -> list[Job]:
    """The feature's job bound to the sync service."""

    async def sync_interests(bot: Bot | None = None) -> JobResult:
        """Sync every user with questions since their last sync; failures go to the DLQ."""
        return (await sync.run()).as_dict()

    return [Job(SYNC, sync_interests)]
