"""The retention job: deleted posts and old question logs go."""

from __future__ import annotations

from typing import Any

from jobs.registry import Job, JobContext, register


async def retention(ctx: JobContext) -> dict[str, Any]:
    """Remove posts deleted from their channel (and their index points) and old question logs."""
    return (await ctx.container.retention.run()).as_dict()


register(
    Job(
        "retention",
        retention,
        lambda s: s.retention_interval_hours * 3600.0,
        "remove posts gone from their channel (and their index points) and old question logs",
    )
)
