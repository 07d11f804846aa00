"""Jobs of digests and keyword watches: queue due digests, match new posts, send messages."""

from __future__ import annotations

from typing import Any

from jobs.registry import Job, JobContext, register


async def _deliver(ctx: JobContext) -> dict[str, Any]:
    if ctx.bot is None:  # a one-off run without a bot: messages stay queued for the bot
        counts = await ctx.container.messages.outbox.counts()
        return {"delivery": "skipped (no bot)", "pending": counts.get("pending", 0)}
    report = await ctx.container.messages.broadcaster(ctx.bot).deliver_pending()
    return {"sent": report.sent, "failed": report.failed, "blocked": report.blocked}


async def queue_digests(ctx: JobContext) -> dict[str, Any]:
    """Queue the digest of every chat whose slot has come (one covering any downtime), send."""
    report = await ctx.container.digests.run_due()
    return {"due": report.due, "queued": report.queued, "errors": report.errors} | await _deliver(
        ctx
    )


async def match_watches(ctx: JobContext) -> dict[str, Any]:
    """Match posts stored since the last pass against every watch; send the hits."""
    return await ctx.container.watches.run(ctx.bot)


async def deliver_messages(ctx: JobContext) -> dict[str, Any]:
    """Send queued digests and watch hits (and resume those a crashed process left)."""
    return await _deliver(ctx)


register(
    Job(
        "digests",
        queue_digests,
        lambda s: s.digest_check_interval_minutes * 60,
        "queue one digest per chat and period (one catch-up digest after downtime) and send",
    )
)
register(
    Job(
        "watches",
        match_watches,
        lambda s: s.watch_interval_seconds,
        "match newly stored posts against keyword watches and send the hits",
    )
)
register(
    Job(
        "messages",
        deliver_messages,
        lambda s: s.alerts_delivery_interval_seconds,
        "send queued digests and watch hits under Telegram's rate limits",
    )
)
