"""Jobs of the vision feature: describe post images within each tenant's token budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from core.media.service import MediaService
from core.vision.service import VisionService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

log = structlog.get_logger(__name__)

VISION_OFF_REASON = (
    "no vision model configured (set VISION_MODEL and an OpenAI-compatible endpoint)"
)
VISION = JobSpec(
    "vision",
    lambda s: s.vision_interval_minutes * 60.0 if s.vision_configured else 0.0,
    "describe post images with the vision model under each tenant's token budget",
)
SPECS = (VISION,)


def jobs(media: MediaService, vision: VisionService) -> list[Job]:
    """The feature's job bound to the media and vision services."""

    async def analyse_images(bot: Bot | None = None) -> JobResult:
        """Download pending images, then describe queued posts' images within budget."""
        if not vision.enabled:
            log.warning("vision_job_off", reason=VISION_OFF_REASON)
            return {"enabled": False, "reason": VISION_OFF_REASON}
        fetched = await media.run()
        analysed = await vision.run()
        return {"enabled": True, **fetched.as_dict(), **analysed.as_dict()}

    return [Job(VISION, analyse_images)]
