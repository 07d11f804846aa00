"""The DLQ as a SQL table (`dead_letters`), capped at `max_entries` per stream; ids are `s<row id>`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import utc_now
from core.dlq.models import DEFAULT_MAX_ENTRIES, DeadLetter
from storage.models.dlq import DeadLetterRow

_ROW_ID = re.compile(r"^s(\d{1,18})$")


def _letter(row: DeadLetterRow) -> DeadLetter:
    return DeadLetter(f"s{row.id}", row.stream, dict(row.payload or {}), row.created_at)


class SqlDeadLetterQueue:
    """Dead letters in the database: the DLQ without Redis, and Redis's fallback."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        self._sessions = sessions
        self.max_entries = max_entries

    @staticmethod
    def owns(entry_id: str) -> bool:
        """Whether an id is one of this backend's (`s42`)."""
        return _ROW_ID.match(entry_id) is not None

    @staticmethod
    def _row_id(entry_id: str) -> int | None:
        match = _ROW_ID.match(entry_id)
        return int(match.group(1)) if match else None

    async def add(self, stream: str, entry: Mapping[str, Any]) -> str:
        """Insert, then drop the stream's entries beyond the newest `max_entries`."""
        now = utc_now()
        async with self._sessions() as session:
            row = DeadLetterRow(stream=stream, payload=dict(entry), created_at=now, updated_at=now)
            session.add(row)
            await session.flush()
            cutoff = (
                select(DeadLetterRow.id)
                .where(DeadLetterRow.stream == stream)
                .order_by(DeadLetterRow.id.desc())
                .offset(self.max_entries)
                .limit(1)
                .scalar_subquery()
            )
            await session.execute(
                delete(DeadLetterRow).where(
                    DeadLetterRow.stream == stream, DeadLetterRow.id <= cutoff
                )
            )
            await session.commit()
            return f"s{row.id}"

    async def streams(self) -> dict[str, int]:
        """Streams with their entry counts."""
        query = select(DeadLetterRow.stream, func.count()).group_by(DeadLetterRow.stream)
        async with self._sessions() as session:
            return {stream: int(count) for stream, count in (await session.execute(query)).all()}

    async def length(self, stream: str) -> int:
        """Entries of one stream."""
        query = select(func.count()).where(DeadLetterRow.stream == stream)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def entries(self, stream: str, *, offset: int = 0, limit: int = 10) -> list[DeadLetter]:
        """Newest first."""
        query = (
            select(DeadLetterRow)
            .where(DeadLetterRow.stream == stream)
            .order_by(DeadLetterRow.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
        async with self._sessions() as session:
            return [_letter(row) for row in await session.scalars(query)]

    async def get(self, entry_id: str, stream: str | None = None) -> DeadLetter | None:
        """By id (and stream, when given)."""
        row_id = self._row_id(entry_id)
        if row_id is None:
            return None
        async with self._sessions() as session:
            row = await session.get(DeadLetterRow, row_id)
            if row is None or (stream is not None and row.stream != stream):
                return None
            return _letter(row)

    async def update(self, entry: DeadLetter, changes: Mapping[str, Any]) -> None:
        """Merge changes into the stored fields."""
        row_id = self._row_id(entry.id)
        async with self._sessions() as session:
            row = await session.get(DeadLetterRow, row_id) if row_id is not None else None
            if row is None:
                return
            row.payload = {**(row.payload or {}), **changes}
            row.updated_at = utc_now()
            await session.commit()

    async def remove(self, entry: DeadLetter) -> bool:
        """Delete one entry."""
        row_id = self._row_id(entry.id)
        if row_id is None:
            return False
        async with self._sessions() as session:
            result = await session.execute(delete(DeadLetterRow).where(DeadLetterRow.id == row_id))
            await session.commit()
            return bool(getattr(result, "rowcount", 0))

    async def purge(self, stream: str) -> int:
        """Delete a stream's entries."""
        async with self._sessions() as session:
            result = await session.execute(
                delete(DeadLetterRow).where(DeadLetterRow.stream == stream)
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    async def close(self) -> None:
        """Nothing to release (the engine belongs to the container)."""
