"""Dialect-aware INSERT ... ON CONFLICT for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT construct that supports on_conflict_* for the session's dialect."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    session: AsyncSession,
    table: Any,
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> Insert:
    """INSERT that updates `update` columns when a row with the same `keys` exists."""
    statement = insert_for(session, table)
    if not update:
        quiet: Insert = statement.on_conflict_do_nothing(index_elements=list(keys))
        return quiet
    updating: Insert = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={column: getattr(statement.excluded, column) for column in update},
    )
    return updating
