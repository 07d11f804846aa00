"""Real PostgreSQL and Redis for tests: found on 127.0.0.1, or skipped with the reason."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _postgres_reachable() -> str | None:
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(POSTGRES_ADMIN_URL), timeout=3)
    except Exception as error:  # any reason means: no PostgreSQL here
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error!r}"
    await connection.close()
    return None


async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    import asyncpg

    reason = await _postgres_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    name = f"tgassist_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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
