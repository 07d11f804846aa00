"""The trend-alert outbox in SQL: enqueue once per chat and trend, claim with a lease, mark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.delivery.models import OutboxStatus
from core.trends.models import AlertToSend, Escalation
from core.trends.ports import AlertMark, NewAlert
from storage.models import TenantRow
from storage.models.trends import TrendAlertRow
from storage.repositories.outbox_state import (
    OutboxState,
    SqlOutboxRepository,
    thread_ids,
)
from storage.repositories.trends import SqlTrendRepository


class SqlTrendAlertRepository(SqlOutboxRepository):
    """Trend alerts in SQL; every change of state names the claim it belongs to."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._state = OutboxState(session, TrendAlertRow)

    async def enqueue(self, alerts: Sequence[NewAlert], now: datetime) -> int:
        """Write pending alerts; a (chat, story, stage) that already has one is left alone."""
        rows = [
            {
                "tenant_id": alert.tenant_id,
                "chat_id": alert.chat_id,
                "trend_key": alert.trend_key,
                "trend_id": alert.trend_id,
                "score": alert.score,
                "stage": alert.stage,
                "since": alert.since,
                "new_posts": alert.new_posts,
                "new_channels": alert.new_channels,
            }
            for alert in alerts
        ]
        return await self._state.add_new(["chat_id", "trend_key", "stage"], rows, now)

    async def claim(
        self, token: str, now: datetime, until: datetime, limit: int
    ) -> list[AlertToSend]:
        """Claim up to `limit` due alerts for this broadcaster until `until`, oldest first."""
        await self._state.claim(token, now, until, limit)
        rows = (
            await self._session.execute(
                select(TrendAlertRow, TenantRow.kind, TenantRow.language)
                .join(TenantRow, TenantRow.id == TrendAlertRow.tenant_id)
                .where(self._state.claimed(token))
                .order_by(TrendAlertRow.id)
            )
        ).all()
        threads = await thread_ids(self._session, [row.tenant_id for row, _, _ in rows], "alerts")
        trend_ids = [row.trend_id for row, _, _ in rows if row.trend_id is not None]
        trends = await SqlTrendRepository(self._session).by_ids(trend_ids)
        claimed = []
        for row, kind, language in rows:
            stored = trends.get(row.trend_id) if row.trend_id is not None else None
            if stored is None:  # the trend was pruned before its alert could go out
                await self.mark_failed(row.id, token, "trend no longer stored")
                continue
            claimed.append(
                AlertToSend(
                    alert_id=row.id,
                    tenant_id=row.tenant_id,
                    chat_id=row.chat_id,
                    chat_kind=kind,
                    language=language,
                    thread_id=threads.get(row.tenant_id),
                    attempts=row.attempts,
                    trend=stored.trend,
                    escalation=(
                        Escalation(row.stage, row.since, row.new_posts or 0, row.new_channels or 0)
                        if row.stage and row.since is not None
                        else None
                    ),
                )
            )
        return claimed

    async def progress(self, alert_id: int, token: str, parts_sent: int) -> None:
        """Alerts are one message: nothing to record between parts."""

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> set[int]:
        """A group became a supergroup: its alerts follow the new chat id (the tenant moves
        with `TenantRepository.move_chat`).

        An alert whose trend the new chat already has stays behind; returns the moved ids.
        """
        known = set(
            await self._session.execute(
                select(TrendAlertRow.trend_key, TrendAlertRow.stage).where(
                    TrendAlertRow.chat_id == new_chat_id
                )
            )
        )
        movable = [
            alert_id
            for alert_id, trend_key, stage in await self._session.execute(
                select(TrendAlertRow.id, TrendAlertRow.trend_key, TrendAlertRow.stage).where(
                    TrendAlertRow.chat_id == old_chat_id
                )
            )
            if (trend_key, stage) not in known
        ]
        await self._state.move_rows(movable, new_chat_id)
        return set(movable)

    async def sent_keys(self, chat_id: int, trend_keys: Sequence[str]) -> set[str]:
        """Which of these trends already reached the chat as an alert."""
        if not trend_keys:
            return set()
        query = select(TrendAlertRow.trend_key).where(
            TrendAlertRow.chat_id == chat_id,
            TrendAlertRow.trend_key.in_(list(trend_keys)),
            TrendAlertRow.status == OutboxStatus.SENT.value,
        )
        return set(await self._session.scalars(query))

    async def history(self, chat_id: int, trend_keys: Sequence[str]) -> dict[str, AlertMark]:
        """Per story: its latest alert for the chat (stage and when it was written)."""
        if not trend_keys:
            return {}
        rows = await self._session.execute(
            select(TrendAlertRow.trend_key, TrendAlertRow.stage, TrendAlertRow.created_at).where(
                TrendAlertRow.chat_id == chat_id, TrendAlertRow.trend_key.in_(list(trend_keys))
            )
        )
        latest: dict[str, AlertMark] = {}
        for trend_key, stage, created_at in rows:
            if trend_key not in latest or stage > latest[trend_key].stage:
                latest[trend_key] = AlertMark(stage, created_at)
        return latest
