"""The message outbox in SQL (digests, watch hits) and the forum topic of each feature."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.delivery.models import HeldMessage, MessageKind, NewMessage, OutboxMessage, OutboxStatus
from storage.models import TenantRow
from storage.models.digests import ChatThreadRow, OutboxMessageRow
from storage.repositories.outbox_state import OutboxState, SqlOutboxRepository


class SqlMessageOutboxRepository(SqlOutboxRepository):
    """Prepared messages; one per chat, kind and dedupe key."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._state = OutboxState(session, OutboxMessageRow)

    async def enqueue(self, messages: Sequence[NewMessage], now: datetime) -> int:
        """Write pending messages; a key the chat already has is left alone."""
        rows = [
            {
                "tenant_id": message.tenant_id,
                "chat_id": message.chat_id,
                "thread_id": message.thread_id,
                "kind": message.kind.value,
                "dedupe_key": message.dedupe_key[:64],
                "parts": list(message.parts),
                "parts_sent": 0,
                "payload": message.payload,
                "next_attempt_at": message.due_at,
            }
            for message in messages
        ]
        return await self._state.add_new(["chat_id", "kind", "dedupe_key"], rows, now)

    async def claim(
        self, token: str, now: datetime, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Claim up to `limit` due messages until `until`, oldest first."""
        await self._state.claim(token, now, until, limit)
        rows = await self._session.execute(
            select(OutboxMessageRow, TenantRow.kind)
            .join(TenantRow, TenantRow.id == OutboxMessageRow.tenant_id)
            .where(self._state.claimed(token))
            .order_by(OutboxMessageRow.id)
        )
        return [
            OutboxMessage(
                item_id=row.id,
                tenant_id=row.tenant_id,
                chat_id=row.chat_id,
                chat_kind=kind,
                thread_id=row.thread_id,
                kind=MessageKind(row.kind),
                parts=list(row.parts),
                parts_sent=row.parts_sent,
                attempts=row.attempts,
            )
            for row, kind in rows
        ]

    async def progress(self, item_id: int, token: str, parts_sent: int) -> None:
        """Record how many parts reached the chat, while the claim holds the row."""
        await self._session.execute(self._state.owned(item_id, token).values(parts_sent=parts_sent))

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> set[int]:
        """The chat's messages follow the supergroup (keys it has stay behind; the tenant moves
        with `TenantRepository.move_chat`)."""
        known = set(
            await self._session.execute(
                select(OutboxMessageRow.kind, OutboxMessageRow.dedupe_key).where(
                    OutboxMessageRow.chat_id == new_chat_id
                )
            )
        )
        movable = [
            item_id
            for item_id, kind, key in await self._session.execute(
                select(
                    OutboxMessageRow.id, OutboxMessageRow.kind, OutboxMessageRow.dedupe_key
                ).where(OutboxMessageRow.chat_id == old_chat_id)
            )
            if (kind, key) not in known
        ]
        await self._state.move_rows(movable, new_chat_id)
        return set(movable)

    async def created_since(self, chat_id: int, kind: MessageKind, since: datetime) -> int:
        """Messages of this kind the chat got or has queued since a moment."""
        return int(
            await self._session.scalar(
                select(func.count(OutboxMessageRow.id)).where(
                    OutboxMessageRow.chat_id == chat_id,
                    OutboxMessageRow.kind == kind.value,
                    OutboxMessageRow.created_at >= since,
                    OutboxMessageRow.status != OutboxStatus.FAILED.value,
                )
            )
            or 0
        )

    async def last_due(self, chat_id: int, kind: MessageKind) -> datetime | None:
        """When the chat's latest message of this kind was (or is) due to go out."""
        return await self._session.scalar(
            select(func.max(OutboxMessageRow.next_attempt_at)).where(
                OutboxMessageRow.chat_id == chat_id, OutboxMessageRow.kind == kind.value
            )
        )

    def _held(self, now: datetime) -> ColumnElement[bool]:
        return and_(
            OutboxMessageRow.status == OutboxStatus.PENDING.value,
            OutboxMessageRow.next_attempt_at > now,
            OutboxMessageRow.attempts == 0,
            OutboxMessageRow.payload.is_not(None),
        )

    async def held(self, chat_id: int, kind: MessageKind, now: datetime) -> HeldMessage | None:
        """The chat's queued message of this kind that is not due yet."""
        row = await self._session.scalar(
            select(OutboxMessageRow)
            .where(
                OutboxMessageRow.chat_id == chat_id,
                OutboxMessageRow.kind == kind.value,
                self._held(now),
            )
            .order_by(OutboxMessageRow.id.desc())
            .limit(1)
        )
        if row is None or row.payload is None:
            return None
        return HeldMessage(row.id, row.next_attempt_at, list(row.payload))

    async def regroup(
        self, item_id: int, parts: list[str], payload: list[dict[str, Any]], now: datetime
    ) -> bool:
        """Replace a held message's content while it is still held."""
        result = await self._session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id == item_id, self._held(now))
            .values(parts=parts, payload=payload)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def fail_pending(self, chat_id: int, error: str) -> int:
        """Give up every unsent message of a chat that blocked the bot."""
        result = await self._session.execute(
            update(OutboxMessageRow)
            .where(
                OutboxMessageRow.chat_id == chat_id,
                OutboxMessageRow.status == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.FAILED.value, last_error=error[:500])
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SqlThreadRepository:
    """Which forum topic each feature of a chat posts into."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set(self, tenant_id: int, feature: str, thread_id: int | None) -> None:
        """Choose a topic (None: the chat's general topic)."""
        await self._session.execute(
            delete(ChatThreadRow).where(
                ChatThreadRow.tenant_id == tenant_id, ChatThreadRow.feature == feature
            )
        )
        if thread_id is not None:
            self._session.add(
                ChatThreadRow(tenant_id=tenant_id, feature=feature, thread_id=thread_id)
            )
            await self._session.flush()

    async def get(self, tenant_id: int, feature: str) -> int | None:
        """The chosen topic, None for the general one."""
        return await self._session.scalar(
            select(ChatThreadRow.thread_id).where(
                ChatThreadRow.tenant_id == tenant_id, ChatThreadRow.feature == feature
            )
        )
