"""The state machine every SQL outbox shares: claim with a lease, release, mark, retry.

An outbox table has `status`, `attempts`, `claim_token`, `claimed_until`, `next_attempt_at`,
`last_error`, `message_id` and `sent_at` columns; every change of state names the claim it
belongs to, so a broadcaster whose lease ran out can no longer record anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Update, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.delivery.models import OutboxStatus
from storage.models.digests import ChatThreadRow
from storage.repositories._upsert import upsert

_ERROR_LENGTH = 500


class OutboxState:
    """Claiming and marking rows of one outbox table (`row` is its ORM class)."""

    def __init__(self, session: AsyncSession, row: Any) -> None:
        self._session = session
        self._row = row

    async def add_new(
        self, keys: Sequence[str], rows: Sequence[dict[str, Any]], now: datetime
    ) -> int:
        """Write rows as pending (due at `next_attempt_at`, or now); a row whose `keys` exist
        already is left alone. Returns how many were written."""
        written = 0
        for values in rows:
            statement = upsert(self._session, self._row.__table__, keys=keys, update=[]).values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                created_at=now,
                **{"next_attempt_at": now, **values},
            )
            result = await self._session.execute(statement)
            written += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return written

    def claimable(self, now: datetime) -> ColumnElement[bool]:
        """Pending and due, or claimed by a broadcaster whose lease ran out (it crashed)."""
        row = self._row
        return or_(
            and_(row.status == OutboxStatus.PENDING.value, row.next_attempt_at <= now),
            and_(row.status == OutboxStatus.SENDING.value, row.claimed_until < now),
        )

    async def claim(self, token: str, now: datetime, until: datetime, limit: int) -> None:
        """Mark up to `limit` due rows as this claim's until `until`, oldest first."""
        row = self._row
        due = (
            select(row.id).where(self.claimable(now)).order_by(row.id).limit(limit)
        ).scalar_subquery()
        # The condition is checked again row by row, so two claimers never share a row.
        await self._session.execute(
            update(row)
            .where(row.id.in_(due), self.claimable(now))
            .values(status=OutboxStatus.SENDING.value, claim_token=token, claimed_until=until)
            .execution_options(synchronize_session=False)
        )

    def claimed(self, token: str) -> ColumnElement[bool]:
        """The rows this claim holds."""
        return and_(self._row.claim_token == token, self._row.status == OutboxStatus.SENDING.value)

    def owned(self, item_id: int, token: str) -> Update:
        """An UPDATE of one row that only applies while the claim still holds it."""
        return update(self._row).where(self._row.id == item_id, self.claimed(token))

    async def release(self, token: str, item_ids: Sequence[int]) -> None:
        """Give claimed rows back unsent (a clean shutdown), for anyone to send now."""
        if not item_ids:
            return
        await self._session.execute(
            update(self._row)
            .where(self._row.id.in_(list(item_ids)), self.claimed(token))
            .values(status=OutboxStatus.PENDING.value, claim_token=None, claimed_until=None)
        )

    async def mark_sent(
        self, item_id: int, token: str, message_id: int | None, now: datetime
    ) -> bool:
        """Record delivery; False when the claim was lost (the lease ran out)."""
        result = await self._session.execute(
            self.owned(item_id, token).values(
                status=OutboxStatus.SENT.value,
                message_id=message_id,
                sent_at=now,
                attempts=self._row.attempts + 1,
                claim_token=None,
                claimed_until=None,
                last_error=None,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_failed(self, item_id: int, token: str, error: str) -> None:
        """Give up on a row (blocked, chat gone, message refused)."""
        await self._session.execute(
            self.owned(item_id, token).values(
                status=OutboxStatus.FAILED.value,
                attempts=self._row.attempts + 1,
                claim_token=None,
                claimed_until=None,
                last_error=error[:_ERROR_LENGTH],
            )
        )

    async def retry_later(
        self, item_id: int, token: str, error: str, at: datetime, max_attempts: int
    ) -> None:
        """Back to pending until `at`, or failed once it has used up its attempts."""
        row = self._row
        await self._session.execute(
            self.owned(item_id, token).values(
                status=case(
                    (row.attempts + 1 >= max_attempts, OutboxStatus.FAILED.value),
                    else_=OutboxStatus.PENDING.value,
                ),
                attempts=row.attempts + 1,
                next_attempt_at=at,
                claim_token=None,
                claimed_until=None,
                last_error=error[:_ERROR_LENGTH],
            )
        )

    async def move_rows(self, ids: Sequence[int], new_chat_id: int) -> None:
        """Point rows at a chat's new id, in chunks."""
        for chunk in range(0, len(ids), 500):
            await self._session.execute(
                update(self._row)
                .where(self._row.id.in_(list(ids[chunk : chunk + 500])))
                .values(chat_id=new_chat_id)
                .execution_options(synchronize_session=False)
            )

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        row = self._row
        rows = await self._session.execute(
            select(row.status, func.count(row.id)).group_by(row.status)
        )
        return {status: int(count) for status, count in rows}


class SqlOutboxRepository:
    """What every SQL outbox repository does the same way, through its `OutboxState`."""

    _state: OutboxState

    async def release(self, token: str, item_ids: Sequence[int]) -> None:
        """Give claimed rows back unsent (a clean shutdown), for anyone to send now."""
        await self._state.release(token, item_ids)

    async def mark_sent(
        self, item_id: int, token: str, message_id: int | None, now: datetime
    ) -> bool:
        """Record delivery; False when the claim was lost (the lease ran out)."""
        return await self._state.mark_sent(item_id, token, message_id, now)

    async def mark_failed(self, item_id: int, token: str, error: str) -> None:
        """Give up on a row (blocked, chat gone, message refused)."""
        await self._state.mark_failed(item_id, token, error)

    async def retry_later(
        self, item_id: int, token: str, error: str, at: datetime, max_attempts: int
    ) -> None:
        """Back to pending until `at`, or failed once it has used up its attempts."""
        await self._state.retry_later(item_id, token, error, at, max_attempts)

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        return await self._state.counts()


async def thread_ids(
    session: AsyncSession, tenant_ids: Sequence[int], feature: str
) -> dict[int, int]:
    """The forum topic each of these tenants chose for a feature (tenants without one left out)."""
    if not tenant_ids:
        return {}
    rows = await session.execute(
        select(ChatThreadRow.tenant_id, ChatThreadRow.thread_id).where(
            ChatThreadRow.tenant_id.in_(set(tenant_ids)), ChatThreadRow.feature == feature
        )
    )
    return {tenant_id: thread_id for tenant_id, thread_id in rows}
