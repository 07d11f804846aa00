"""The `embed` job: dense vectors for posts that lack them, in the background."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from tqdm import tqdm

from core.embedding.service import EmbeddingService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

EMBED = JobSpec(
    "embed",
    lambda s: s.embed_interval_seconds if s.embeddings != "none" else 0.0,
    "dense vectors for posts that lack them (once per post, copied to every chat's index)",
)
SPECS = (EMBED,)


def jobs(service: EmbeddingService | None, job_seconds: float, *, interactive: bool) -> list[Job]:
    """The feature's job: scheduled runs stop after `job_seconds`; a run by hand (`interactive`)
    drains the queue, with a progress bar on a terminal."""

    async def embed(bot: Bot | None = None) -> JobResult:
        """Embed waiting posts, newest first."""
        if service is None:
            return {"skipped": "embeddings are off (EMBEDDINGS=none)"}
        deadline = None if interactive else time.monotonic() + job_seconds
        show = interactive and sys.stderr.isatty()
        total = await service.pending() if show else 0
        with tqdm(total=total, desc="embedding", unit="post", disable=not show) as bar:
            report = await service.drain(progress=bar.update, deadline=deadline)
        return {"model": service.model, **asdict(report), "pending": await service.pending()}

    return [Job(EMBED, embed)]
