"""The trend-alert outbox in SQL: enqueue once per chat and trend, claim with a lease, mark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Update, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.trends.models import AlertStatus, AlertToSend, Escalation
from core.trends.ports import AlertMark, NewAlert
from storage.models import TenantRow
from storage.models.trends import TrendAlertRow
from storage.repositories._upsert import upsert
from storage.repositories.trends import SqlTrendRepository

_ERROR_LENGTH = 500


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a broadcaster whose lease ran out (it crashed)."""
    return or_(
        and_(
            TrendAlertRow.status == AlertStatus.PENDING.value,
            TrendAlertRow.next_attempt_at <= now,
        ),
        and_(
            TrendAlertRow.status == AlertStatus.SENDING.value,
            TrendAlertRow.claimed_until < now,
        ),
    )


class SqlTrendAlertRepository:
    """Trend alerts in SQL; every change of state names the claim it belongs to."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enqueue(self, alerts: Sequence[NewAlert], now: datetime) -> int:
        """Write pending alerts; a (chat, story, stage) that already has one is left alone."""
        written = 0
        for alert in alerts:
            statement = upsert(
                self._session,
                TrendAlertRow.__table__,
                keys=["chat_id", "trend_key", "stage"],
                update=[],
            ).values(
                tenant_id=alert.tenant_id,
                chat_id=alert.chat_id,
                trend_key=alert.trend_key,
                trend_id=alert.trend_id,
                score=alert.score,
                stage=alert.stage,
                since=alert.since,
                new_posts=alert.new_posts,
                new_channels=alert.new_channels,
                status=AlertStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            result = await self._session.execute(statement)
            written += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return written

    async def claim(
        self, token: str, now: datetime, until: datetime, limit: int
    ) -> list[AlertToSend]:
        """Claim up to `limit` due alerts for this broadcaster until `until`, oldest first."""
        due = (
            select(TrendAlertRow.id)
            .where(_claimable(now))
            .order_by(TrendAlertRow.id)
            .limit(limit)
            .scalar_subquery()
        )
        # The condition is checked again row by row, so two claimers never share an alert.
        await self._session.execute(
            update(TrendAlertRow)
            .where(TrendAlertRow.id.in_(due), _claimable(now))
            .values(status=AlertStatus.SENDING.value, claim_token=token, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        rows = (
            await self._session.execute(
                select(TrendAlertRow, TenantRow.kind, TenantRow.language)
                .join(TenantRow, TenantRow.id == TrendAlertRow.tenant_id)
                .where(
                    TrendAlertRow.claim_token == token,
                    TrendAlertRow.status == AlertStatus.SENDING.value,
                )
                .order_by(TrendAlertRow.id)
            )
        ).all()
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

    def _owned(self, alert_id: int, token: str) -> Update:
        return update(TrendAlertRow).where(
            TrendAlertRow.id == alert_id,
            TrendAlertRow.claim_token == token,
            TrendAlertRow.status == AlertStatus.SENDING.value,
        )

    async def release(self, token: str, alert_ids: Sequence[int]) -> None:
        """Give claimed alerts back unsent (a clean shutdown), for anyone to send now."""
        if not alert_ids:
            return
        await self._session.execute(
            update(TrendAlertRow)
            .where(
                TrendAlertRow.id.in_(list(alert_ids)),
                TrendAlertRow.claim_token == token,
                TrendAlertRow.status == AlertStatus.SENDING.value,
            )
            .values(status=AlertStatus.PENDING.value, claim_token=None, claimed_until=None)
        )

    async def mark_sent(
        self, alert_id: int, token: str, message_id: int | None, now: datetime
    ) -> bool:
        """Record delivery; False when the claim was lost (the lease ran out)."""
        result = await self._session.execute(
            self._owned(alert_id, token).values(
                status=AlertStatus.SENT.value,
                message_id=message_id,
                sent_at=now,
                attempts=TrendAlertRow.attempts + 1,
                claim_token=None,
                claimed_until=None,
                last_error=None,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_failed(self, alert_id: int, token: str, error: str) -> None:
        """Give up on an alert (blocked, chat gone, message refused)."""
        await self._session.execute(
            self._owned(alert_id, token).values(
                status=AlertStatus.FAILED.value,
                attempts=TrendAlertRow.attempts + 1,
                claim_token=None,
                claimed_until=None,
                last_error=error[:_ERROR_LENGTH],
            )
        )

    async def retry_later(
        self, alert_id: int, token: str, error: str, at: datetime, max_attempts: int
    ) -> None:
        """Back to pending until `at`, or failed once it has used up its attempts."""
        await self._session.execute(
            self._owned(alert_id, token).values(
                status=case(
                    (TrendAlertRow.attempts + 1 >= max_attempts, AlertStatus.FAILED.value),
                    else_=AlertStatus.PENDING.value,
                ),
                attempts=TrendAlertRow.attempts + 1,
                next_attempt_at=at,
                claim_token=None,
                claimed_until=None,
                last_error=error[:_ERROR_LENGTH],
            )
        )

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
        for chunk in range(0, len(movable), 500):
            await self._session.execute(
                update(TrendAlertRow)
                .where(TrendAlertRow.id.in_(movable[chunk : chunk + 500]))
                .values(chat_id=new_chat_id)
                .execution_options(synchronize_session=False)
            )
        return set(movable)

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

    async def counts(self) -> dict[str, int]:
        """How many alerts are in each state."""
        rows = await self._session.execute(
            select(TrendAlertRow.status, func.count(TrendAlertRow.id)).group_by(
                TrendAlertRow.status
            )
        )
        return {status: int(count) for status, count in rows}
