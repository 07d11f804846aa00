"""Jobs of digests and keyword watches: queue due digests, match new posts, send messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from core.delivery.models import OutboxMessage
from core.delivery.outbox import Outbox
from core.digests.service import DigestService
from jobs.base import Job, JobResult, JobSpec

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.broadcast import OutboxBroadcaster

DIGESTS = JobSpec(
    "digests",
    lambda s: s.digest_check_interval_minutes * 60,
    "queue one digest per chat and period (one catch-up digest after downtime) and send",
)
WATCHES = JobSpec(
    "watches",
    lambda s: s.watch_interval_seconds,
    "match newly stored posts against keyword watches and send the hits",
)
MESSAGES = JobSpec(
    "messages",
    lambda s: s.alerts_delivery_interval_seconds,
    "send queued digests and watch hits under Telegram's rate limits",
)
SPECS = (DIGESTS, WATCHES, MESSAGES)


def jobs(
    digests: DigestService,
    match_watches: Callable[[Bot | None], Awaitable[JobResult]],
    outbox: Outbox[OutboxMessage, Any],
    broadcaster: Callable[[Bot], OutboxBroadcaster[OutboxMessage]],
) -> list[Job]:
    """The jobs bound to the digest service, the watch pass and the message outbox."""

    async def deliver(bot: Bot | None) -> JobResult:
        if bot is None:  # a one-off run without a bot: messages stay queued for the bot
            counts = await outbox.counts()
            return {"delivery": "skipped (no bot)", "pending": counts.get("pending", 0)}
        report = await broadcaster(bot).deliver_pending()
        return {"sent": report.sent, "failed": report.failed, "blocked": report.blocked}

    async def queue_digests(bot: Bot | None = None) -> JobResult:
        """Queue the digest of every chat whose slot has come, then send."""
        report = await digests.run_due()
        result: JobResult = {"due": report.due, "queued": report.queued, "errors": report.errors}
        return result | await deliver(bot)

    async def deliver_messages(bot: Bot | None = None) -> JobResult:
        """Send queued digests and watch hits (and resume those a crashed process left)."""
        return await deliver(bot)

    return [
        Job(DIGESTS, queue_digests),
        Job(WATCHES, match_watches),
        Job(MESSAGES, deliver_messages),
    ]
