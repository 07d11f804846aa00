"""Jobs of the media feature: download post images into the media store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.media.service import MediaService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

FETCH = JobSpec(
    "media-fetch",
    lambda s: s.media_fetch_interval_minutes * 60.0,
    "download post images into the media store within size, type and storage limits",
)
SPECS = (FETCH,)


def jobs(media: MediaService) -> list[Job]:
    """The feature's job bound to the media service."""

    async def fetch_media(bot: Bot | None = None) -> JobResult:
        """Record new posts' media per tenant and download pending images."""
        return (await media.run()).as_dict()

    return [Job(FETCH, fetch_media)]
