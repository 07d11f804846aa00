"""The `embed` job: dense vectors for posts that lack them, in the background."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from typing import Any

from tqdm import tqdm

from jobs.registry import Job, JobContext, register


async def embed(ctx: JobContext) -> dict[str, Any]:
    """Embed waiting posts, newest first: all of them when run by hand (a progress bar on a
    terminal), for at most EMBED_JOB_SECONDS when scheduled."""
    service = ctx.container.embedding
    if service is None:
        return {"skipped": "embeddings are off (EMBEDDINGS=none)"}
    settings = ctx.container.settings
    deadline = None if ctx.interactive else time.monotonic() + settings.embed_job_seconds
    show = ctx.interactive and sys.stderr.isatty()
    total = await service.pending() if show else 0
    with tqdm(total=total, desc="embedding", unit="post", disable=not show) as bar:
        report = await service.drain(progress=bar.update, deadline=deadline)
    return {"model": service.model, **asdict(report), "pending": await service.pending()}


register(
    Job(
        "embed",
        embed,
        lambda s: s.embed_interval_seconds if s.embeddings != "none" else 0.0,
        "dense vectors for posts that lack them (once per post, copied to every chat's index)",
    )
)
