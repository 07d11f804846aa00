"""Jobs of the channels feature: poll public channels, index what the index lacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.channels.polling import ChannelPoller
from core.ingest.indexing import BackgroundIndexer, Indexer
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

POLL = JobSpec(
    "poll-channels",
    lambda s: 60.0,
    "read new posts of public channels that are due (each has its own interval and backoff)",
)
INDEX = JobSpec("index-pending", lambda s: 300.0, "index posts the index lacks")
SPECS = (POLL, INDEX)


def jobs(poller: ChannelPoller, background: BackgroundIndexer, indexer: Indexer) -> list[Job]:
    """The feature's jobs bound to its services."""

    async def poll_channels(bot: Bot | None = None) -> JobResult:
        """Poll every public channel that is due; new posts are indexed in the background."""
        results = await poller.poll_due()
        await background.drain()
        return {
            "polled": len(results),
            "new_posts": sum(r.new_posts for r in results),
            "errors": sum(1 for r in results if r.error),
        }

    async def index_pending(bot: Bot | None = None) -> JobResult:
        """Index what any tenant's collection lacks (e.g. after an outage); a failing tenant
        is counted and the others go on."""
        run = await indexer.index_all()
        return {"indexed": run.indexed, "failed_tenants": len(run.failed_tenants)}

    return [Job(POLL, poll_channels), Job(INDEX, index_pending)]
