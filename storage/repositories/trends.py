"""Trends in SQL: the posts detection reads, stored trends and their posts, mutes, runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import permalink
from core.trends.models import PreviousTrend, StoredTrend, Trend, TrendPost, TrendPostRef
from core.trends.ports import DetectionTarget, Mute
from storage.models import ChannelRow, PostRow, SubscriptionRow, TenantRow
from storage.models.trends import TrendMuteRow, TrendPostRow, TrendRow, TrendRunRow
from storage.repositories._upsert import upsert
from storage.repositories.tenants import to_tenant

_CHUNK = 500


def channel_name(username: str | None, title: str) -> str:
    """How a channel is shown: @username, or its title when it has none."""
    return f"@{username}" if username else title


def _chunks(items: Sequence[int], size: int = _CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlTrendRepository:
    """Trends in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def targets(self, min_channels: int) -> list[DetectionTarget]:
        """Tenants following at least `min_channels` channels, with those channels."""
        rows = await self._session.execute(
            select(TenantRow, SubscriptionRow.channel_id)
            .join(SubscriptionRow, SubscriptionRow.tenant_id == TenantRow.id)
            .order_by(TenantRow.id)
        )
        tenants: dict[int, TenantRow] = {}
        channels: defaultdict[int, set[int]] = defaultdict(set)
        for tenant, channel_id in rows:
            tenants[tenant.id] = tenant
            channels[tenant.id].add(channel_id)
        return [
            DetectionTarget(to_tenant(tenants[tenant_id]), frozenset(ids))
            for tenant_id, ids in channels.items()
            if len(ids) >= min_channels
        ]

    async def posts_between(
        self, tenant_id: int, since: datetime, until: datetime
    ) -> list[TrendPost]:
        """Posts of the tenant's channels dated in [since, until), oldest first."""
        rows = await self._session.execute(
            select(
                PostRow.id,
                PostRow.channel_id,
                PostRow.message_id,
                PostRow.date,
                PostRow.text,
                PostRow.views,
                ChannelRow.username,
                ChannelRow.title,
                ChannelRow.telegram_id,
            )
            .join(SubscriptionRow, SubscriptionRow.channel_id == PostRow.channel_id)
            .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
            .where(
                SubscriptionRow.tenant_id == tenant_id,
                PostRow.date >= since,
                PostRow.date < until,
            )
            .order_by(PostRow.date, PostRow.id)
        )
        return [
            TrendPost(
                post_id=post_id,
                channel_id=channel_id,
                channel_name=channel_name(username, title),
                date=date,
                text=text or "",
                url=permalink(username, telegram_id, message_id),
                views=views,
            )
            for (
                post_id,
                channel_id,
                message_id,
                date,
                text,
                views,
                username,
                title,
                telegram_id,
            ) in rows
        ]

    async def previous(self, tenant_id: int, since: datetime) -> list[PreviousTrend]:
        """Trends last seen since `since`, with the ids of their posts."""
        trends = list(
            await self._session.scalars(
                select(TrendRow).where(
                    TrendRow.tenant_id == tenant_id, TrendRow.last_seen_at >= since
                )
            )
        )
        post_ids = await self._post_ids([row.id for row in trends])
        return [
            PreviousTrend(
                trend_key=row.trend_key,
                stems=list(row.stems),
                post_ids=frozenset(post_ids.get(row.id, ())),
                last_seen=row.last_seen_at,
                summary=row.summary,
                summary_sources=list(row.summary_sources or []),
            )
            for row in trends
        ]

    async def _post_ids(self, trend_ids: list[int]) -> dict[int, list[int]]:
        result: defaultdict[int, list[int]] = defaultdict(list)
        for chunk in _chunks(trend_ids):
            rows = await self._session.execute(
                select(TrendPostRow.trend_id, TrendPostRow.post_id).where(
                    TrendPostRow.trend_id.in_(chunk)
                )
            )
            for trend_id, post_id in rows:
                result[trend_id].append(post_id)
        return result

    async def save_run(
        self, tenant_id: int, ran_at: datetime, trends: Sequence[Trend]
    ) -> list[StoredTrend]:
        """Insert new trends, refresh continuing ones (stats and posts), record the run."""
        existing = {
            row.trend_key: row
            for row in await self._session.scalars(
                select(TrendRow).where(
                    TrendRow.tenant_id == tenant_id,
                    TrendRow.trend_key.in_([trend.trend_key for trend in trends]),
                )
            )
        }
        stored = []
        for trend in trends:
            values = {
                "label": trend.label[:255],
                "headline": trend.headline,
                "terms": list(trend.terms),
                "stems": list(trend.stems),
                "score": trend.score,
                "z": trend.z,
                "mentions": trend.mentions,
                "baseline": trend.baseline,
                "channel_count": len(trend.channel_ids),
                "actors": list(trend.actors),
                "summary": trend.summary,
                "summary_sources": list(trend.summary_sources),
                "escalation": trend.escalation,
                "reach": trend.reach,
                "first_post_at": trend.first_seen,
                "last_seen_at": ran_at,
            }
            row = existing.get(trend.trend_key)
            if row is None:
                row = TrendRow(
                    tenant_id=tenant_id, trend_key=trend.trend_key, detected_at=ran_at, **values
                )
                self._session.add(row)
                await self._session.flush()
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                await self._session.execute(
                    delete(TrendPostRow).where(TrendPostRow.trend_id == row.id)
                )
            if trend.posts:
                await self._session.execute(
                    insert(TrendPostRow),
                    [
                        {
                            "trend_id": row.id,
                            "post_id": post.post_id,
                            "channel_id": post.channel_id,
                            "date": post.date,
                            "url": post.url[:255],
                            "snippet": post.snippet[:255],
                            "copy_of": post.copy_of,
                        }
                        for post in trend.posts
                    ],
                )
            stored.append(StoredTrend(row.id, tenant_id, trend, ran_at, row.detected_at))
        statement = upsert(
            self._session, TrendRunRow.__table__, keys=["tenant_id"], update=["ran_at", "trends"]
        ).values(tenant_id=tenant_id, ran_at=ran_at, trends=len(trends))
        await self._session.execute(statement)
        return stored

    async def current(self, tenant_id: int, since: datetime) -> list[StoredTrend]:
        """The trends of the tenant's latest run, if it ran since `since`; best first."""
        ran_at = await self._session.scalar(
            select(TrendRunRow.ran_at).where(TrendRunRow.tenant_id == tenant_id)
        )
        if ran_at is None or ran_at < since:
            return []
        rows = list(
            await self._session.scalars(
                select(TrendRow)
                .where(TrendRow.tenant_id == tenant_id, TrendRow.last_seen_at >= ran_at)
                .order_by(TrendRow.score.desc(), TrendRow.id)
            )
        )
        return await self.load(rows)

    async def seen_between(
        self, tenant_id: int, since: datetime, until: datetime
    ) -> list[StoredTrend]:
        """The tenant's trends that were trending at some run in [since, until); best first."""
        rows = list(
            await self._session.scalars(
                select(TrendRow)
                .where(
                    TrendRow.tenant_id == tenant_id,
                    TrendRow.detected_at < until,
                    TrendRow.last_seen_at >= since,
                )
                .order_by(TrendRow.score.desc(), TrendRow.id)
            )
        )
        return await self.load(rows)

    async def by_key(self, tenant_id: int, trend_key: str) -> StoredTrend | None:
        """One of the tenant's trends by key."""
        row = await self._session.scalar(
            select(TrendRow).where(TrendRow.tenant_id == tenant_id, TrendRow.trend_key == trend_key)
        )
        if row is None:
            return None
        [stored] = await self.load([row])
        return stored

    async def by_ids(self, trend_ids: Sequence[int]) -> dict[int, StoredTrend]:
        """Trends by id, with their posts."""
        rows: list[TrendRow] = []
        for chunk in _chunks(list(trend_ids)):
            rows.extend(await self._session.scalars(select(TrendRow).where(TrendRow.id.in_(chunk))))
        return {stored.id: stored for stored in await self.load(rows)}

    async def load(self, rows: list[TrendRow]) -> list[StoredTrend]:
        """Trend rows with their posts (and the current names of their channels)."""
        posts: defaultdict[int, list[TrendPostRef]] = defaultdict(list)
        for chunk in _chunks([row.id for row in rows]):
            result = await self._session.execute(
                select(TrendPostRow, ChannelRow.username, ChannelRow.title)
                .join(ChannelRow, ChannelRow.id == TrendPostRow.channel_id)
                .where(TrendPostRow.trend_id.in_(chunk))
                .order_by(TrendPostRow.date, TrendPostRow.post_id)
            )
            for post, username, title in result:
                posts[post.trend_id].append(
                    TrendPostRef(
                        post_id=post.post_id,
                        channel_id=post.channel_id,
                        channel_name=channel_name(username, title),
                        date=post.date,
                        url=post.url,
                        snippet=post.snippet,
                        copy_of=post.copy_of,
                    )
                )
        return [_stored(row, posts.get(row.id, [])) for row in rows]

    async def mute(
        self, tenant_id: int, trend_key: str, stems: list[str], user_id: int | None
    ) -> bool:
        """Mute a trend for a chat; False when it already was."""
        statement = upsert(
            self._session, TrendMuteRow.__table__, keys=["tenant_id", "trend_key"], update=[]
        ).values(tenant_id=tenant_id, trend_key=trend_key, stems=stems, created_by=user_id)
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mutes(self, tenant_id: int, since: datetime) -> list[Mute]:
        """The chat's mutes made since `since`."""
        rows = await self._session.scalars(
            select(TrendMuteRow).where(
                TrendMuteRow.tenant_id == tenant_id, TrendMuteRow.created_at >= since
            )
        )
        return [Mute(row.trend_key, list(row.stems)) for row in rows]

    async def prune(self, before: datetime) -> int:
        """Forget trends not seen since `before` (their alerts keep the outbox's memory)."""
        result = await self._session.execute(delete(TrendRow).where(TrendRow.last_seen_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def count(self, tenant_id: int) -> int:
        """How many trends a tenant has stored."""
        value = await self._session.scalar(
            select(func.count(TrendRow.id)).where(TrendRow.tenant_id == tenant_id)
        )
        return int(value or 0)


def _stored(row: TrendRow, posts: list[TrendPostRef]) -> StoredTrend:
    channel_ids = list(dict.fromkeys(post.channel_id for post in posts))
    names = {post.channel_id: post.channel_name for post in posts}
    trend = Trend(
        trend_key=row.trend_key,
        label=row.label,
        headline=row.headline,
        terms=list(row.terms),
        stems=list(row.stems),
        score=row.score,
        z=row.z,
        mentions=row.mentions,
        baseline=row.baseline,
        channels=[names[channel_id] for channel_id in channel_ids],
        channel_ids=channel_ids,
        posts=posts,
        first_seen=row.first_post_at,
        actors=list(row.actors or []),
        summary=row.summary,
        summary_sources=list(row.summary_sources or []),
        escalation=row.escalation,
        reach=row.reach,
    )
    return StoredTrend(row.id, row.tenant_id, trend, row.last_seen_at, row.detected_at)
