"""Engine and session factory for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.extras import require


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_driver_name() == "asyncpg":
        require("asyncpg", "postgres")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _sqlite_begin_at_first_write)
        event.listen(engine.sync_engine, "commit", _sqlite_end)
        event.listen(engine.sync_engine, "rollback", _sqlite_end)
    event.listen(engine.sync_engine, "before_cursor_execute", _without_nul, retval=True)
    return engine


def _without_nul(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    # PostgreSQL refuses U+0000 in text; Telegram, exports and web pages can carry it. Dropping it
    # here keeps every backend storing the same text, whatever path the string came by.
    if executemany and isinstance(parameters, list):
        return statement, [_clean(row) for row in parameters]
    return statement, _clean(parameters)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's pysqlite recipe: the driver stops opening transactions by itself (it would
    # open none before a SAVEPOINT, whose RELEASE then commits), and the engine's `begin` event
    # opens each one explicitly, so savepoints nest inside a real transaction and roll back
    # with it.
    dbapi_connection.isolation_level = None
    # WAL lets the CLI read while the bot writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_BEGIN_PENDING = "tgassist_sqlite_begin_pending"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def _sqlite_begin(connection: Any) -> None:
    # The transaction really begins at its first write or savepoint, with BEGIN IMMEDIATE
    # (see _sqlite_begin_at_first_write).
    connection.info[_BEGIN_PENDING] = True


def _sqlite_begin_at_first_write(
    connection: Any, cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
) -> None:
    # An eager deferred BEGIN would pin a read snapshot at the first SELECT, and a later write
    # then fails at once ("database is locked", SQLITE_BUSY_SNAPSHOT) whenever another
    # connection committed meanwhile. Beginning IMMEDIATE at the first write takes the write
    # lock (waiting up to the busy timeout) exactly where pysqlite's own implicit BEGIN did,
    # and now also before a SAVEPOINT, so savepoints always nest inside a transaction.
    if connection.info.get(_BEGIN_PENDING) and statement.lstrip()[:9].upper().startswith(_WRITES):
        connection.info.pop(_BEGIN_PENDING)
        cursor.execute("BEGIN IMMEDIATE")


def _sqlite_end(connection: Any) -> None:
    connection.info.pop(_BEGIN_PENDING, None)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (repositories return DTOs anyway)."""
    return async_sessionmaker(engine, expire_on_commit=False)
