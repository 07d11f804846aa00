"""Alembic migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_engine
from storage.migrate import downgrade, upgrade
from storage.models import Base


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await engine.dispose()
    return list(diff)


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    """The schema goes up, all the way down, and up again, and matches the ORM models."""
    await asyncio.to_thread(upgrade, database_url)
    assert await _tables(database_url) == set(Base.metadata.tables)
    await asyncio.to_thread(downgrade, database_url, "base")
    assert await _tables(database_url) == set()
    await asyncio.to_thread(upgrade, database_url)
    assert await _tables(database_url) == set(Base.metadata.tables)
    assert await _schema_diff(database_url) == []
