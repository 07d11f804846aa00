"""Keyword watches: adding, listing and removing them, and matching newly stored posts.

Matching walks the posts stored since the last pass (a cursor over post ids), so every post is
matched once whichever way it arrived (polling, `channel_post`, an import), and never by
re-scanning old posts. A pass queues its hits in the message outbox and moves the cursor in one
transaction: a crash loses nothing and repeats nothing. A chat's hits of one pass become one
message (several posts arriving together are grouped), at most `max_messages_per_hour` an hour.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from core.clock import utc_now
from core.delivery.models import MessageKind, NewMessage
from core.errors import CoreError
from core.models import Tenant
from core.ports import UnitOfWorkFactory
from core.watches.expression import parse_watch
from core.watches.matcher import WatchIndex, match_posts
from core.watches.models import ScanReport, Watch, WatchCursor, WatchHit, WatchPost, WatchTenant
from core.watches.ports import WatchesUnitOfWork, WatchHitRenderer

log = structlog.get_logger(__name__)

GROUP_WINDOW = timedelta(minutes=1)  # hits this close to the chat's last one come together
GAP_MEMORY = timedelta(minutes=10)  # how long an id skipped over may still be committed
MAX_GAPS = 1000


class WatchLimitReached(CoreError):
    """The chat has as many watches as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} watches per chat")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class WatchLimits:
    """How much one chat may watch and receive."""

    max_watches: int = 20
    max_messages_per_hour: int = 30


def load_watch(watch_id: int, tenant_id: int, expression: str) -> Watch | None:
    """A stored watch parsed again; None when the rules changed and it no longer parses."""
    from core.watches.expression import InvalidWatch

    try:
        return Watch(watch_id, tenant_id, expression, parse_watch(expression))
    except InvalidWatch:
        log.warning("watch_unparsable", watch_id=watch_id)
        return None


class WatchService:
    """Chats' watches, and matching of newly stored posts against all of them."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[WatchesUnitOfWork],
        render: WatchHitRenderer,
        *,
        limits: WatchLimits | None = None,
        batch_size: int = 500,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._render = render
        self.limits = limits or WatchLimits()
        self._batch_size = batch_size
        self.clock = clock
        self._index = WatchIndex()
        self._signature: tuple[int, int] | None = None
        self._lock = asyncio.Lock()  # one matching pass at a time per process

    async def add(
        self, uow: WatchesUnitOfWork, tenant: Tenant, expression: str, user_id: int | None
    ) -> Watch:
        """Store a watch (InvalidWatch or WatchLimitReached when refused)."""
        query = parse_watch(expression)
        existing = await uow.watches.for_tenant(tenant.id)
        if len(existing) >= self.limits.max_watches:
            raise WatchLimitReached(self.limits.max_watches)
        text = " ".join(expression.split())
        if await uow.watches.cursor() is None:  # matching starts with the posts stored from now
            await uow.watches.move_cursor(None, await uow.watches.newest_post_id())
        watch_id = await uow.watches.add(tenant.id, text, user_id, self.clock())
        await uow.commit()
        return Watch(watch_id, tenant.id, text, query)

    async def watches(self, uow: WatchesUnitOfWork, tenant: Tenant) -> list[Watch]:
        """The chat's watches, oldest first (numbered from 1 in /watch)."""
        found = []
        for watch_id, expression in await uow.watches.for_tenant(tenant.id):
            watch = load_watch(watch_id, tenant.id, expression)
            if watch is not None:
                found.append(watch)
        return found

    async def remove(
        self,
        uow: WatchesUnitOfWork,
        tenant: Tenant,
        *,
        number: int | None = None,
        watch_id: int | None = None,
    ) -> Watch | None:
        """Remove a watch by its number in the list or by id; None when there is no such watch."""
        current = await self.watches(uow, tenant)
        chosen = None
        if number is not None and 1 <= number <= len(current):
            chosen = current[number - 1]
        elif watch_id is not None:
            chosen = next((watch for watch in current if watch.id == watch_id), None)
        if chosen is None or not await uow.watches.delete(tenant.id, chosen.id):
            return None
        await uow.commit()
        return chosen

    async def scan(self) -> ScanReport:
        """Match every post stored since the last pass; queue the hits; move the cursor."""
        report = ScanReport()
        async with self._lock:
            while True:
                async with self._uow_factory() as uow:
                    done = await self._scan_batch(uow, report)
                if done:
                    break
        if report.hits:
            log.info("watch_scan", posts=report.posts, hits=report.hits, messages=report.messages)
        return report

    async def _join_held(
        self, uow: WatchesUnitOfWork, tenant: WatchTenant, hits: list[WatchHit], now: datetime
    ) -> bool:
        """Add hits to the chat's message still waiting out its minute; False when none waits."""
        held = await uow.messages.held(tenant.chat_id, MessageKind.WATCH, now)
        if held is None:
            return False
        combined = [WatchHit.from_payload(item) for item in held.payload] + hits
        return await uow.messages.regroup(
            held.item_id,
            self._render(tenant.language, combined),
            [hit.to_payload() for hit in combined],
            now,
        )

    async def _refresh_index(self, uow: WatchesUnitOfWork) -> None:
        signature = await uow.watches.signature()
        if signature == self._signature:
            return
        loaded = (load_watch(*row) for row in await uow.watches.everything())
        self._index = WatchIndex(watch for watch in loaded if watch is not None)
        self._signature = signature

    async def _scan_batch(self, uow: WatchesUnitOfWork, report: ScanReport) -> bool:
        """One batch in one transaction; True when there was nothing more to match."""
        cursor = await uow.watches.cursor()
        if cursor is None:
            return True  # no watch was ever added
        now = self.clock()
        posts = await uow.watches.posts_after(
            cursor.last_post_id, self._batch_size, sorted(cursor.gaps)
        )
        if not posts:
            if cursor.gaps and all(now - seen > GAP_MEMORY for seen in cursor.gaps.values()):
                await uow.watches.move_cursor(cursor.last_post_id, cursor.last_post_id, {})
                await uow.commit()  # those ids were rolled back or deleted: forget them
            return True
        await self._refresh_index(uow)
        hits = match_posts(
            self._index, posts, await uow.watches.followers(sorted({p.channel_id for p in posts}))
        )
        messages = []
        for tenant, chat_hits in hits.items():
            if await self._join_held(uow, tenant, chat_hits, now):
                report.hits += len(chat_hits)
                report.chats.add(tenant.chat_id)
                continue
            sent = await uow.messages.created_since(
                tenant.chat_id, MessageKind.WATCH, now - timedelta(hours=1)
            )
            if sent >= self.limits.max_messages_per_hour:
                report.dropped_over_limit += len(chat_hits)
                log.info("watch_hits_over_limit", tenant_id=tenant.tenant_id, hits=len(chat_hits))
                continue
            # At once, unless the chat got one less than a minute ago: then the hits wait out
            # the minute, and whatever else matches meanwhile joins them in one message.
            last = await uow.messages.last_due(tenant.chat_id, MessageKind.WATCH)
            due = max(now, last + GROUP_WINDOW) if last is not None else now
            messages.append(
                NewMessage(
                    tenant_id=tenant.tenant_id,
                    chat_id=tenant.chat_id,
                    thread_id=tenant.thread_id,
                    kind=MessageKind.WATCH,
                    dedupe_key=f"post:{chat_hits[0].post.post_id}",
                    parts=self._render(tenant.language, chat_hits),
                    due_at=due,
                    payload=[hit.to_payload() for hit in chat_hits],
                )
            )
            report.hits += len(chat_hits)
            report.chats.add(tenant.chat_id)
        report.messages += await uow.messages.enqueue(messages, now) if messages else 0
        report.posts += len(posts)
        newer = [post.post_id for post in posts if post.post_id > cursor.last_post_id]
        newest = max(newer, default=cursor.last_post_id)
        if not await uow.watches.move_cursor(
            cursor.last_post_id, newest, _gaps(cursor, posts, newest, now)
        ):
            await uow.rollback()  # another process matched this batch first
            return True
        await uow.commit()
        return len(newer) < self._batch_size


def _gaps(
    cursor: WatchCursor, posts: list[WatchPost], last: int, now: datetime
) -> dict[int, datetime]:
    """Ids the cursor passed that were not stored yet (a transaction may still commit them),
    kept for GAP_MEMORY; the ones stored since are matched now and dropped."""
    seen = {post.post_id for post in posts}
    gaps = {
        post_id: first
        for post_id, first in cursor.gaps.items()
        if post_id not in seen and now - first <= GAP_MEMORY
    }
    for post_id in range(cursor.last_post_id + 1, last):
        if post_id not in seen and len(gaps) < MAX_GAPS:
            gaps[post_id] = now
    return gaps
