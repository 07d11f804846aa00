"""Keyword watches in SQL: the watches, the matching cursor, new posts and their followers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.delivery.models import MessageKind
from core.models import permalink
from core.watches.models import WatchCursor, WatchPost, WatchTenant
from storage.models import ChannelRow, PostRow, SubscriptionRow, TenantRow
from storage.models.digests import WatchCursorRow, WatchRow
from storage.repositories.outbox_state import thread_ids
from storage.repositories.trends import channel_name

_CURSOR = "posts"


class SqlWatchRepository:
    """Watches and the cursor of matching."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, tenant_id: int, expression: str, user_id: int | None, now: datetime) -> int:
        """Store a watch; returns its id."""
        row = WatchRow(
            tenant_id=tenant_id, expression=expression, created_by=user_id, created_at=now
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def for_tenant(self, tenant_id: int) -> list[tuple[int, str]]:
        """(id, expression) of a chat's watches, oldest first."""
        rows = await self._session.execute(
            select(WatchRow.id, WatchRow.expression)
            .where(WatchRow.tenant_id == tenant_id)
            .order_by(WatchRow.id)
        )
        return [(watch_id, expression) for watch_id, expression in rows]

    async def delete(self, tenant_id: int, watch_id: int) -> bool:
        """Remove one of the chat's watches."""
        result = await self._session.execute(
            delete(WatchRow).where(WatchRow.id == watch_id, WatchRow.tenant_id == tenant_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_all(self, tenant_id: int) -> int:
        """Remove every watch of a chat (it blocked the bot)."""
        result = await self._session.execute(
            delete(WatchRow).where(WatchRow.tenant_id == tenant_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def everything(self) -> list[tuple[int, int, str]]:
        """(id, tenant id, expression) of every watch."""
        rows = await self._session.execute(
            select(WatchRow.id, WatchRow.tenant_id, WatchRow.expression).order_by(WatchRow.id)
        )
        return [(watch_id, tenant_id, expression) for watch_id, tenant_id, expression in rows]

    async def signature(self) -> tuple[int, int]:
        """(count, highest id): changes whenever a watch is added or removed."""
        count, highest = (
            await self._session.execute(select(func.count(WatchRow.id), func.max(WatchRow.id)))
        ).one()
        return int(count or 0), int(highest or 0)

    async def cursor(self) -> WatchCursor | None:
        """How far matching got."""
        row = await self._session.get(WatchCursorRow, _CURSOR)
        if row is None:
            return None
        gaps = {int(post_id): datetime.fromisoformat(seen) for post_id, seen in row.gaps or []}
        return WatchCursor(row.last_post_id, gaps)

    async def move_cursor(
        self, old: int | None, new: int, gaps: dict[int, datetime] | None = None
    ) -> bool:
        """Compare-and-set, so two processes never both match one batch."""
        stored = [[post_id, seen.isoformat()] for post_id, seen in sorted((gaps or {}).items())]
        if old is None:
            self._session.add(WatchCursorRow(name=_CURSOR, last_post_id=new, gaps=stored))
            await self._session.flush()
            return True
        result = await self._session.execute(
            update(WatchCursorRow)
            .where(WatchCursorRow.name == _CURSOR, WatchCursorRow.last_post_id == old)
            .values(last_post_id=new, gaps=stored)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def newest_post_id(self) -> int:
        """The highest post id stored (0 with no posts)."""
        return int(await self._session.scalar(select(func.max(PostRow.id))) or 0)

    async def posts_after(
        self, post_id: int, limit: int, also: Sequence[int] = ()
    ) -> list[WatchPost]:
        """Stored posts with a higher id, in id order, and those of the `also` ids stored now,
        with their channel's name and link."""
        columns = select(PostRow, ChannelRow.username, ChannelRow.title, ChannelRow.telegram_id)
        columns = columns.join(ChannelRow, ChannelRow.id == PostRow.channel_id)
        rows = list(
            await self._session.execute(
                columns.where(PostRow.id > post_id).order_by(PostRow.id).limit(limit)
            )
        )
        if also:
            rows[:0] = await self._session.execute(
                columns.where(PostRow.id.in_(list(also))).order_by(PostRow.id)
            )
        return [
            WatchPost(
                post_id=post.id,
                channel_id=post.channel_id,
                channel_name=channel_name(username, title),
                url=permalink(username, telegram_id, post.message_id),
                date=post.date,
                text=post.text,
            )
            for post, username, title, telegram_id in rows
        ]

    async def followers(self, channel_ids: Sequence[int]) -> dict[int, list[WatchTenant]]:
        """Per channel, the chats following it that have at least one watch."""
        if not channel_ids:
            return {}
        watching = select(WatchRow.tenant_id).distinct().scalar_subquery()
        rows = (
            await self._session.execute(
                select(
                    SubscriptionRow.channel_id, TenantRow.id, TenantRow.chat_id, TenantRow.language
                )
                .join(TenantRow, TenantRow.id == SubscriptionRow.tenant_id)
                .where(
                    SubscriptionRow.channel_id.in_(list(channel_ids)),
                    SubscriptionRow.tenant_id.in_(watching),
                )
            )
        ).all()
        threads = await thread_ids(self._session, [row[1] for row in rows], MessageKind.WATCH)
        found: defaultdict[int, list[WatchTenant]] = defaultdict(list)
        for channel_id, tenant_id, chat_id, language in rows:
            found[channel_id].append(
                WatchTenant(tenant_id, chat_id, language, threads.get(tenant_id))
            )
        return dict(found)
