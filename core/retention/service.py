"""The retention job: removes posts their channel deleted and question logs past their age."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import structlog

from core.clock import utc_now
from core.ports import DeletedPost, PostIndex, UnitOfWorkFactory, point_id
from core.retention.ports import RetentionUnitOfWork

log = structlog.get_logger(__name__)

BATCH = 500


@dataclass(slots=True)
class RetentionReport:
    """What one retention run removed."""

    deleted_posts: int = 0
    questions: int = 0

    def as_dict(self) -> dict[str, int]:
        """The report as the job prints it."""
        return asdict(self)


class RetentionService:
    """Deleted posts leave every index that holds them, then the database; question logs older
    than `question_days` (0 = keep forever) are removed. Chats that removed the bot, and
    channels no chat follows, are simply not polled (see `due_for_poll`)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[RetentionUnitOfWork],
        index: PostIndex,
        *,
        question_days: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._index = index
        self._question_days = question_days
        self._clock = clock

    async def run(self) -> RetentionReport:
        """Remove what is due; each step is safe to interrupt and re-run."""
        report = RetentionReport()
        while batch := await self._deleted_batch():
            await self._remove_posts(batch)
            report.deleted_posts += len(batch)
        if self._question_days > 0:
            cutoff = self._clock() - timedelta(days=self._question_days)
            async with self._uow_factory() as uow:
                report.questions = await uow.questions.delete_before(cutoff)
                await uow.commit()
        log.info("retention_done", **report.as_dict())
        return report

    async def _deleted_batch(self) -> list[DeletedPost]:
        async with self._uow_factory() as uow:
            return await uow.posts.deleted(BATCH)

    async def _remove_posts(self, posts: list[DeletedPost]) -> None:
        """Index points first: if that fails the rows stay marked and the next run retries."""
        by_channel: defaultdict[int, list[DeletedPost]] = defaultdict(list)
        for post in posts:
            by_channel[post.channel_id].append(post)
        async with self._uow_factory() as uow:
            followers = {
                channel: await uow.channels.subscriber_tenants(channel) for channel in by_channel
            }
        for channel, channel_posts in by_channel.items():
            points = [point_id(post.channel_id, post.message_id) for post in channel_posts]
            for tenant_id in followers[channel]:
                await self._index.delete_posts(tenant_id, points)
        async with self._uow_factory() as uow:
            await uow.posts.remove([post.post_id for post in posts])
            await uow.commit()
