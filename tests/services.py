"""Real PostgreSQL and Redis for tests: found on 127.0.0.1, or skipped with the reason."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it answers."""
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(POSTGRES_ADMIN_URL), timeout=3)
    except Exception as error:  # any reason means: no PostgreSQL here
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error!r}"
    await connection.close()
    return None


async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""

    reason = await postgres_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_databases([url])


async def create_postgres_database(prefix: str = "tgassist_test") -> str:
    """Create an empty PostgreSQL database; return its SQLAlchemy (asyncpg) URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_postgres_databases(urls: list[str]) -> None:
    """Drop databases made by create_postgres_database (even with connections left open)."""
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    for url in urls:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()


async def redis_url_or_skip() -> str:
    """The test Redis URL (database 15, flushed), or skip when no Redis runs."""
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
    except Exception as error:
        await client.aclose()
        reason = f"Redis not reachable at {REDIS_URL}: {error!r}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests: {reason}")
        pytest.skip(reason)
    await client.flushdb()
    await client.aclose()
    return REDIS_URL


# --- The whole app on the server backends (TEST_BACKENDS=services) ---------------------------
#
# With TEST_BACKENDS=services, tests that build their settings with tests.harness.make_settings or
# tests.cli.cli_env get a PostgreSQL database of their own (one per test directory, dropped at the
# end of the session) instead of SQLite, so the bot and CLI flows run on the production database.

SERVICES_MODE = os.environ.get("TEST_BACKENDS", "embedded") == "services"
_databases: dict[str, str] = {}


def postgres_database_for(key: Path) -> str:
    """A fresh PostgreSQL database for this test directory (the same one on every call)."""
    if str(key) not in _databases:
        _databases[str(key)] = _run_outside_loop(_create_database())
    return _databases[str(key)]


def drop_services_databases() -> None:
    """Drop every database made by postgres_database_for."""
    if _databases:
        _run_outside_loop(drop_postgres_databases(list(_databases.values())))
        _databases.clear()


def _run_outside_loop(coroutine: Any) -> Any:
    # Settings are built from inside running event loops: asyncpg gets a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _create_database() -> str:
    reason = await postgres_unavailable()
    if reason:
        raise RuntimeError(f"TEST_BACKENDS=services needs PostgreSQL: {reason}")
    return await create_postgres_database()
