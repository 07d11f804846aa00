"""The question log: every question asked and its outcome, per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.rag.ports import QuestionRecord
from storage.models import QuestionRow

_STATUS_LENGTH = 16  # the width of questions.status and questions.mode


def to_record(row: QuestionRow) -> QuestionRecord:
    """Map a row to its DTO."""
    return QuestionRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        text=row.text,
        status=row.status,
        mode=row.mode,
        latency_ms=row.latency_ms,
        sources_count=row.sources_count,
        source_channel_ids=[int(channel) for channel in row.source_channel_ids or []],
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        created_at=row.created_at,
    )


def _columns(record: QuestionRecord) -> dict[str, Any]:
    return {
        "tenant_id": record.tenant_id,
        "user_id": record.user_id,
        "text": record.text,
        "status": record.status[:_STATUS_LENGTH],
        "mode": record.mode[:_STATUS_LENGTH],
        "latency_ms": record.latency_ms,
        "sources_count": record.sources_count,
        "source_channel_ids": list(record.source_channel_ids),
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "created_at": record.created_at or utc_now(),
    }


class SqlQuestionRepository:
    """Questions in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: QuestionRecord) -> int:
        """Store one question and its outcome; returns its id."""
        row = QuestionRow(**_columns(record))
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def add_many(self, records: Sequence[QuestionRecord]) -> None:
        """Store a batch of questions in one statement (the background log writer's)."""
        if records:
            await self._session.execute(insert(QuestionRow), [_columns(item) for item in records])

    async def recent(
        self, tenant_id: int, *, since: datetime | None = None, limit: int = 100
    ) -> list[QuestionRecord]:
        """A tenant's questions, newest first, optionally only those since a moment."""
        query = select(QuestionRow).where(QuestionRow.tenant_id == tenant_id)
        if since is not None:
            query = query.where(QuestionRow.created_at >= since)
        query = query.order_by(QuestionRow.created_at.desc(), QuestionRow.id.desc()).limit(limit)
        return [to_record(row) for row in await self._session.scalars(query)]

    async def delete_before(self, moment: datetime) -> int:
        """Remove questions asked before `moment` (retention); returns how many."""
        result = await self._session.execute(
            delete(QuestionRow).where(QuestionRow.created_at < moment)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
