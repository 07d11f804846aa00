"""Digests: a chat's schedule, the stories of a period, and exactly one queued digest per period.

A pass over the due chats builds each digest and, in one transaction, writes it into the
message outbox (keyed by its period's slot) and moves the chat's `covered_until` to that slot
(compare-and-set). A crash before the commit leaves nothing written; after it, the outbox
delivers. After downtime the latest slot is due and the period runs from the last one covered:
one digest covers the gap, never one per missed slot.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import structlog

from core.clock import utc_now
from core.delivery.models import MessageKind, NewMessage
from core.digests.models import (
    Digest,
    DigestPost,
    DigestRunReport,
    DigestSchedule,
    DigestSource,
    DigestStory,
    DigestTarget,
    Frequency,
)
from core.digests.ports import DigestRenderer, DigestsUnitOfWork
from core.digests.schedule import latest_slot, period_length
from core.digests.summary import StorySummarizer
from core.errors import CoreError
from core.models import Tenant
from core.ports import UnitOfWorkFactory
from core.text.terms import TermExtractor, term_set
from core.text.tokens import clip
from core.trends.interests import NeutralInterestScorer
from core.trends.ports import InterestScorer

log = structlog.get_logger(__name__)

DEFAULT_PERIOD = timedelta(hours=24)
SOURCES_PER_STORY = 5
HEADLINE_CHARS = 140
MIN_STORY_CHANNELS = 2  # a post is a story of its own when several channels carry it
SAME_STORY = 0.35  # Jaccard of two posts' stems from which they tell the same story
INTEREST_WEIGHT = 0.5


class UnknownDigestChat(CoreError):
    """The chat has never talked to the bot."""


class DigestService:
    """Schedules, building digests, and queueing the due ones."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[DigestsUnitOfWork],
        render: DigestRenderer,
        *,
        summarizer: StorySummarizer | None = None,
        interests: InterestScorer | None = None,
        max_stories: int = 10,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._render = render
        self._summarizer = summarizer or StorySummarizer(None, None)
        self._interests: InterestScorer = interests or NeutralInterestScorer()
        self._max_stories = max_stories
        self._extractor = TermExtractor()
        self.clock = clock

    async def schedule(self, uow: DigestsUnitOfWork, tenant: Tenant) -> DigestSchedule:
        """The chat's settings (off until set)."""
        return await uow.digests.schedule(tenant.id) or DigestSchedule()

    async def save(
        self, uow: DigestsUnitOfWork, tenant: Tenant, schedule: DigestSchedule
    ) -> DigestSchedule:
        """Store new settings; a new schedule starts with the next slot, not a past one."""
        current = await self.schedule(uow, tenant)
        now = self.clock()
        if schedule.frequency is not Frequency.OFF and (
            schedule.frequency,
            schedule.minute_of_day,
            schedule.weekday,
            schedule.timezone,
        ) != (current.frequency, current.minute_of_day, current.weekday, current.timezone):
            slot = latest_slot(schedule, now)
            covered = max(filter(None, (current.covered_until, slot)), default=None)
            schedule = replace(schedule, covered_until=covered)
        await uow.digests.save(tenant.id, schedule, now)
        await uow.commit()
        return schedule

    async def run_due(self, now: datetime | None = None) -> DigestRunReport:
        """Queue the digest of every chat whose slot has come (one per chat, however late)."""
        now = now or self.clock()
        report = DigestRunReport()
        async with self._uow_factory() as uow:
            targets = await uow.digests.scheduled()
        for target in targets:
            slot = latest_slot(target.schedule, now)
            covered = target.schedule.covered_until
            if slot is None or (covered is not None and slot <= covered):
                continue
            report.due += 1
            try:
                report.queued += await self._queue(target, slot)
            except Exception:
                report.errors += 1
                log.exception("digest_failed", tenant_id=target.tenant_id)
        return report

    async def _queue(self, target: DigestTarget, slot: datetime) -> int:
        schedule = target.schedule
        since = schedule.covered_until or slot - period_length(schedule)
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.by_id(target.tenant_id)
            if tenant is None:
                return 0
            digest = await self.build(uow, tenant, since, slot, schedule.topics)
            message = NewMessage(
                tenant_id=target.tenant_id,
                chat_id=target.chat_id,
                thread_id=target.thread_id,
                kind=MessageKind.DIGEST,
                dedupe_key=f"digest:{slot.astimezone(UTC):%Y-%m-%dT%H:%M}",
                parts=self._render(target.language, digest, schedule.timezone),
                due_at=self.clock(),
            )
            written = await uow.messages.enqueue([message], self.clock())
            if not await uow.digests.cover(target.tenant_id, schedule.covered_until, slot):
                await uow.rollback()  # another process queued this period first
                return 0
            await uow.commit()
        log.info(
            "digest_queued",
            tenant_id=target.tenant_id,
            period_from=since.isoformat(),
            period_to=slot.isoformat(),
            stories=len(digest.stories),
        )
        return written

    async def for_chat(self, chat_id: int, since: datetime | None = None) -> Digest:
        """The digest a chat would get now: since `since`, the last digest, or 24 hours."""
        now = self.clock()
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(chat_id)
            if tenant is None:
                raise UnknownDigestChat(f"chat {chat_id} is not known to the bot")
            return await self.now(uow, tenant, since, now)

    async def now(
        self,
        uow: DigestsUnitOfWork,
        tenant: Tenant,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Digest:
        """A digest up to now, from `since`, the last scheduled one, or the last 24 hours."""
        until = until or self.clock()
        schedule = await self.schedule(uow, tenant)
        since = since or schedule.covered_until or until - DEFAULT_PERIOD
        if since >= until:
            since = until - DEFAULT_PERIOD
        return await self.build(uow, tenant, since, until, schedule.topics)

    async def build(
        self,
        uow: DigestsUnitOfWork,
        tenant: Tenant,
        since: datetime,
        until: datetime,
        topics: Sequence[str] = (),
    ) -> Digest:
        """The period's stories, ranked by the chat's interests (and its topics), cited."""
        stories = await self._trend_stories(uow, tenant, since, until)
        covered = {post.post_id for story in stories for post in story.posts}
        posts = await uow.digests.top_posts(tenant.id, since, until, 300)
        stories += self._post_stories([p for p in posts if p.post_id not in covered])
        if topics:
            wanted = set().union(*(self._extractor.terms(topic) for topic in topics))
            stories = [story for story in stories if story.stems & wanted]
        for story in stories:
            affinity = await self._interests.stem_affinity(tenant, story.stems)
            story.score *= 1 + INTEREST_WEIGHT * affinity
        stories.sort(key=lambda story: -story.score)
        stories = stories[: self._max_stories]
        await self._mark_alerted(uow, tenant, stories)
        for story in stories:
            if not story.alerted:
                story.summary = await self._summarizer.summarize(tenant.id, story.posts)
        return Digest(since, until, stories, tuple(topics))

    async def _trend_stories(
        self, uow: DigestsUnitOfWork, tenant: Tenant, since: datetime, until: datetime
    ) -> list[DigestStory]:
        stored = await uow.digests.trends_between(tenant.id, since, until)
        wanted = [ref.post_id for item in stored for ref in item.trend.posts]
        posts = await uow.digests.posts(wanted)
        stories = []
        for item in stored:
            trend = item.trend
            story_posts = _one_per_channel(
                [posts[ref.post_id] for ref in trend.posts if ref.post_id in posts]
            )
            stories.append(
                DigestStory(
                    headline=clip(trend.headline or trend.label, HEADLINE_CHARS),
                    summary="",
                    sources=_sources(story_posts),
                    kind=f"trend:{trend.trend_key}",
                    score=trend.score,
                    stems=frozenset(trend.stems),
                    posts=story_posts,
                )
            )
        return stories

    def _post_stories(self, posts: list[DigestPost]) -> list[DigestStory]:
        """Greedy clusters of the most-read posts telling one story in several channels."""
        clusters: list[tuple[frozenset[str], list[DigestPost]]] = []
        for post in posts:
            terms = term_set(post.text)
            if len(terms) < 3:
                continue
            for seed, members in clusters:
                if len(seed & terms) / len(seed | terms) >= SAME_STORY:
                    members.append(post)
                    break
            else:
                clusters.append((terms, [post]))
        stories = []
        for _, members in clusters:
            if len({post.channel_id for post in members}) < MIN_STORY_CHANNELS:
                continue
            chosen = _one_per_channel(members)
            stems = set().union(*(self._extractor.terms(post.text) for post in chosen))
            stories.append(
                DigestStory(
                    headline=_headline(chosen[0].text),
                    summary="",
                    sources=_sources(chosen),
                    kind="posts",
                    # ~5 for 50,000 reads: on the scale of a trend's score (alerts from 5)
                    score=math.log1p(sum(post.views for post in members)) / 2,
                    stems=frozenset(stems),
                    posts=chosen,
                )
            )
        return stories

    async def _mark_alerted(
        self, uow: DigestsUnitOfWork, tenant: Tenant, stories: list[DigestStory]
    ) -> None:
        keys = [story.kind.split(":", 1)[1] for story in stories if story.kind.startswith("trend:")]
        alerted = await uow.trend_alerts.sent_keys(tenant.chat_id, keys) if keys else set()
        for story in stories:
            if story.kind.startswith("trend:") and story.kind.split(":", 1)[1] in alerted:
                story.alerted = True


def _one_per_channel(posts: Sequence[DigestPost]) -> list[DigestPost]:
    """Up to SOURCES_PER_STORY posts, one per channel, earliest first."""
    chosen: dict[int, DigestPost] = {}
    for post in sorted(posts, key=lambda p: p.date):
        chosen.setdefault(post.channel_id, post)
    return list(chosen.values())[:SOURCES_PER_STORY]


def _sources(posts: Sequence[DigestPost]) -> list[DigestSource]:
    return [DigestSource(post.channel_name, post.message_id, post.url) for post in posts]


def _headline(text: str) -> str:
    """The first non-empty line of a post, clipped."""
    first = next((line for line in text.splitlines() if line.strip()), text)
    return clip(first, HEADLINE_CHARS)
