"""Jobs of the quotas feature: storage accounting, media download, vision analysis."""

from __future__ import annotations

from typing import Any

import structlog

from jobs.registry import Job, JobContext, register

log = structlog.get_logger(__name__)

VISION_OFF_REASON = (
    "no vision model configured (set VISION_MODEL and an OpenAI-compatible endpoint)"
)


async def storage_usage(ctx: JobContext) -> dict[str, Any]:
    """Measure every tenant's media, vision, index and posts, and record it."""
    return await ctx.container.quota.storage_usage.run()


async def fetch_media(ctx: JobContext) -> dict[str, Any]:
    """Record new posts' media per tenant and download pending images into the media store."""
    return (await ctx.container.quota.media.run()).as_dict()


async def analyse_images(ctx: JobContext) -> dict[str, Any]:
    """Download pending images, then describe queued posts' images within each tenant's budget."""
    quota = ctx.container.quota
    if not quota.vision.enabled:
        log.warning("vision_job_off", reason=VISION_OFF_REASON)
        return {"enabled": False, "reason": VISION_OFF_REASON}
    media = await quota.media.run()
    vision = await quota.vision.run()
    return {"enabled": True, **media.as_dict(), **vision.as_dict()}


register(
    Job(
        "storage-usage",
        storage_usage,
        lambda s: s.storage_usage_interval_hours * 3600.0,
        "measure each tenant's storage by type into tenant_storage_usage (default every 6 h)",
    )
)
register(
    Job(
        "media-fetch",
        fetch_media,
        lambda s: s.media_fetch_interval_minutes * 60.0,
        "download post images into the media store within size, type and storage limits",
    )
)
register(
    Job(
        "vision",
        analyse_images,
        lambda s: s.vision_interval_minutes * 60.0 if s.vision_configured else 0.0,
        "describe post images with the vision model under each tenant's token budget",
    )
)
