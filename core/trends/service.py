"""Running detection per tenant, storing trends, and queueing one alert per chat and trend."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from core.clock import utc_now
from core.errors import CoreError
from core.models import Tenant
from core.ports import UnitOfWorkFactory
from core.trends.detector import TrendDetector, carry_identity
from core.trends.interests import NeutralInterestScorer
from core.trends.models import PreviousTrend, RefreshReport, StoredTrend, Trend, TrendStory
from core.trends.ports import (
    AlertMark,
    DetectionTarget,
    InterestScorer,
    Mute,
    NewAlert,
    TrendsUnitOfWork,
)
from core.trends.summary import StorySummarizer

log = structlog.get_logger(__name__)


class UnknownChat(CoreError):
    """The chat has never talked to the bot (no tenant)."""


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Which trends become alerts."""

    min_score: float = 5.0  # after the interest adjustment
    interest_weight: float = 0.5  # score x (1 + weight x affinity), affinity in -1..1
    max_per_run: int = 3  # per chat: the best new ones; the rest wait for the next run
    mute_memory: timedelta = timedelta(days=7)
    # A story the chat has heard about is alerted again only when it escalates: rising well
    # above its own recent level, this long after the previous alert, with this much new.
    escalation_gap: timedelta = timedelta(hours=3)
    escalation_ratio: float = 2.0
    escalation_min_posts: int = 5
    escalation_min_channels: int = 3
    max_escalations: int = 3


# Trends unseen this long cannot matter: detection looks back a window plus a baseline (days),
# identities carry over for four days, mutes last a week.
TREND_RETENTION = timedelta(days=30)


class TrendService:
    """Detects trends for every tenant, stores them and writes alerts into the outbox."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[TrendsUnitOfWork],
        detector: TrendDetector,
        *,
        policy: AlertPolicy | None = None,
        interests: InterestScorer | None = None,
        identity_memory: timedelta = timedelta(days=4),  # an escalation on day four is known
        retention: timedelta = TREND_RETENTION,
        summarizer: StorySummarizer | None = None,
        summaries_per_run: int = 3,  # per chat: the best stories without one get a summary
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self.detector = detector
        self.policy = policy or AlertPolicy()
        self.interests: InterestScorer = interests or NeutralInterestScorer()
        self._identity_memory = identity_memory
        self.summarizer = summarizer
        self.summaries_per_run = summaries_per_run
        self.retention = retention
        self._clock = clock

    @property
    def freshness(self) -> timedelta:
        """How old a run may be for its trends to count as current."""
        return self.detector.params.window

    def _lookback(self, as_of: datetime) -> datetime:
        params = self.detector.params
        return as_of - params.window - params.baseline

    async def refresh(self, now: datetime | None = None) -> RefreshReport:
        """Detect, store and queue alerts for every tenant; one tenant's failure spares others."""
        now = now or self._clock()
        report = RefreshReport()
        async with self._uow_factory() as uow:
            targets = await uow.trends.targets(self.detector.params.min_channels)
        # Tenants following the same channels share one detection.
        detected: dict[frozenset[int], list[Trend]] = {}
        for target in targets:
            try:
                await self._refresh_target(target, now, detected, report)
            except Exception:
                report.errors += 1
                log.exception("trends_refresh_failed", tenant_id=target.tenant.id)
        return report

    async def _refresh_target(
        self,
        target: DetectionTarget,
        now: datetime,
        detected: dict[frozenset[int], list[Trend]],
        report: RefreshReport,
    ) -> None:
        tenant = target.tenant
        async with self._uow_factory() as uow:
            if target.channel_ids not in detected:
                posts = await uow.trends.posts_between(tenant.id, self._lookback(now), now)
                detected[target.channel_ids] = await asyncio.to_thread(
                    self.detector.detect, posts, now
                )
            previous = await uow.trends.previous(tenant.id, now - self._identity_memory)
        known = {item.trend_key for item in previous}
        trends = carry_identity(detected[target.channel_ids], previous)
        trends = await self._with_summaries(tenant, trends, previous)  # no transaction held
        async with self._uow_factory() as uow:
            stored = await uow.trends.save_run(tenant.id, now, trends)
            queued = await self._queue_alerts(uow, tenant, stored, now, previous)
            await uow.commit()
        report.tenants += 1
        report.trends += len(trends)
        report.new_trends += sum(1 for trend in trends if trend.trend_key not in known)
        report.alerts_queued += queued
        log.info("trends_refreshed", tenant_id=tenant.id, trends=len(trends), alerts=queued)

    async def _with_summaries(
        self, tenant: Tenant, trends: list[Trend], previous: Sequence[PreviousTrend]
    ) -> list[Trend]:
        """The best stories with their one-sentence summary: kept from an earlier run of the
        same story, else written now (within the chat's budget); without an LLM, none."""
        earlier = {item.trend_key: item for item in previous if item.summary}
        result = []
        for rank, trend in enumerate(trends):
            known = earlier.get(trend.trend_key)
            if known is not None:
                trend = replace(trend, summary=known.summary, summary_sources=known.summary_sources)
            elif self.summarizer is not None and rank < self.summaries_per_run:
                written = await self.summarizer.summarize(tenant.id, trend)
                if written is not None:
                    trend = replace(trend, summary=written.text, summary_sources=written.sources)
            result.append(trend)
        return result

    async def _queue_alerts(
        self,
        uow: TrendsUnitOfWork,
        tenant: Tenant,
        stored: list[StoredTrend],
        now: datetime,
        previous: Sequence[PreviousTrend] = (),
    ) -> int:
        """Pending alerts: the chat's best stories it has not heard about, and escalations
        of those it has. One story is one alert, whichever facet of it trends now."""
        if not tenant.alerts_enabled or not stored:
            return 0
        policy = self.policy
        mutes = await uow.trends.mutes(tenant.id, now - policy.mute_memory)
        keys = {item.trend.trend_key for item in stored} | {item.trend_key for item in previous}
        history = await uow.trend_alerts.history(tenant.chat_id, sorted(keys))
        heard = [item for item in previous if item.trend_key in history]
        chosen: list[tuple[float, NewAlert]] = []
        for item in stored:
            trend = item.trend
            if is_muted(trend, mutes):
                continue
            mark = history.get(trend.trend_key)
            if mark is None and any(len(trend.post_ids & story.post_ids) >= 2 for story in heard):
                continue  # a facet of a story the chat already heard about
            alert = NewAlert(tenant.id, tenant.chat_id, trend.trend_key, item.id, 0.0)
            if mark is not None:
                escalation = self._escalation(trend, mark, now)
                if escalation is None:
                    continue
                alert = escalation(alert)
            affinity = await self.interests.affinity(tenant, trend)
            adjusted = trend.score * (1 + policy.interest_weight * affinity)
            if adjusted >= policy.min_score:
                chosen.append((adjusted, replace(alert, score=round(adjusted, 2))))
        chosen.sort(key=lambda pair: -pair[0])
        alerts = [alert for _, alert in chosen[: policy.max_per_run]]
        return await uow.trend_alerts.enqueue(alerts, now) if alerts else 0

    def _escalation(
        self, trend: Trend, mark: AlertMark, now: datetime
    ) -> Callable[[NewAlert], NewAlert] | None:
        """How to turn an alert into this story's next escalation, or None if it is not one."""
        policy = self.policy
        if (
            mark.stage >= policy.max_escalations
            or trend.escalation < policy.escalation_ratio
            or now - mark.created_at < policy.escalation_gap
        ):
            return None
        fresh = [post for post in trend.posts if post.date > mark.created_at]
        channels = {post.channel_id for post in fresh}
        if (
            len(fresh) < policy.escalation_min_posts
            or len(channels) < policy.escalation_min_channels
        ):
            return None
        return lambda alert: replace(
            alert,
            stage=mark.stage + 1,
            since=mark.created_at,
            new_posts=len(fresh),
            new_channels=len(channels),
        )

    async def detect_for_chat(self, chat_id: int, as_of: datetime | None = None) -> list[Trend]:
        """Detection as of a moment over the chat's posts before it; stores nothing."""
        as_of = as_of or self._clock()
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(chat_id)
            if tenant is None:
                raise UnknownChat(f"chat {chat_id} is not known to the bot")
            posts = await uow.trends.posts_between(tenant.id, self._lookback(as_of), as_of)
            previous = [
                item
                for item in await uow.trends.previous(tenant.id, as_of - self._identity_memory)
                if item.last_seen <= as_of
            ]
        trends = await asyncio.to_thread(self.detector.detect, posts, as_of, previous)
        return await self._with_summaries(tenant, trends, previous)

    async def prune(self, now: datetime | None = None) -> int:
        """Forget trends not seen for `retention` (the table would otherwise grow forever)."""
        before = (now or self._clock()) - self.retention
        async with self._uow_factory() as uow:
            removed = await uow.trends.prune(before)
            await uow.commit()
        log.info("trends_pruned", removed=removed, before=before.isoformat())
        return removed

    async def current(self, uow: TrendsUnitOfWork, tenant: Tenant) -> list[Trend]:
        """The chat's trends from the latest run (if recent), muted ones left out, best first."""
        now = self._clock()
        stored = await uow.trends.current(tenant.id, now - self.freshness)
        mutes = await uow.trends.mutes(tenant.id, now - self.policy.mute_memory)
        return [item.trend for item in stored if not is_muted(item.trend, mutes)]

    async def stories(self, tenant_id: int, since: datetime, until: datetime) -> list[TrendStory]:
        """The chat's stories that trended in [since, until), best first: for digests."""
        async with self._uow_factory() as uow:
            stored = await uow.trends.seen_between(tenant_id, since, until)
        return [TrendStory.of(item.trend, item.last_seen) for item in stored]

    async def mute(
        self, uow: TrendsUnitOfWork, tenant: Tenant, trend_key: str, user_id: int | None
    ) -> Trend | None:
        """Mute one of the chat's trends; None when there is no such trend."""
        stored = await uow.trends.by_key(tenant.id, trend_key)
        if stored is None:
            return None
        await uow.trends.mute(tenant.id, trend_key, stored.trend.stems[:3], user_id)
        await uow.commit()
        return stored.trend

    async def set_alerts(self, uow: TrendsUnitOfWork, tenant: Tenant, enabled: bool) -> None:
        """Turn the chat's trend alerts on or off."""
        await uow.tenants.set_alerts(tenant.id, enabled)
        await uow.commit()


def is_muted(trend: Trend, mutes: list[Mute]) -> bool:
    """Muted by key, or a later trend sharing two of a muted trend's top three terms."""
    top = set(trend.stems[:3])
    for mute in mutes:
        if mute.trend_key == trend.trend_key or len(top & set(mute.stems[:3])) >= 2:
            return True
    return False
