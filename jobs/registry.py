"""Every scheduled job by name; the scheduler and `tgassist jobs run NAME` share this table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from aiogram import Bot

    from app.container import Container

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job may use: the container, and the bot when one is running."""

    container: Container
    bot: Bot | None = None


JobFunc = Callable[[JobContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Job:
    """A named job and how often the scheduler runs it."""

    name: str
    func: JobFunc
    interval_seconds: Callable[[Any], float]  # from settings
    description: str


async def poll_channels(ctx: JobContext) -> dict[str, Any]:
    """Poll every public channel that is due; new posts are indexed in the background."""
    results = await ctx.container.poller.poll_due()
    await ctx.container.background_indexer.drain()
    if any(r.new_posts for r in results):  # watch hits go out as soon as posts are stored
        await ctx.container.watches.run(ctx.bot)
    return {
        "polled": len(results),
        "new_posts": sum(r.new_posts for r in results),
        "errors": sum(1 for r in results if r.error),
    }


async def index_pending(ctx: JobContext) -> dict[str, Any]:
    """Index whatever posts any tenant's collection still lacks (e.g. after an index outage)."""
    return {"indexed": await ctx.container.indexer.index_all()}


JOBS: dict[str, Job] = {}


def register(job: Job) -> None:
    """Add a job to the table (feature modules call this at import)."""
    JOBS[job.name] = job


register(
    Job(
        "poll-channels",
        poll_channels,
        lambda s: 60.0,
        "read new posts of public channels that are due (each has its own interval and backoff)",
    )
)
register(Job("index-pending", index_pending, lambda s: 300.0, "index posts the index lacks"))

# Feature modules register their jobs on import (kept last: they import this module).
from jobs import digests, interests, quotas, trends  # noqa: E402, F401
