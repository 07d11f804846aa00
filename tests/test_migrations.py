"""Alembic migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_engine
from storage.migrate import downgrade, upgrade
from storage.models import Base
from tests.cli import run_cli_process


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


async def test_replicas_migrating_at_once_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """Several `tgassist migrate` processes started together on one PostgreSQL all succeed."""
    results = await asyncio.gather(
        *(
            asyncio.to_thread(run_cli_process, tmp_path, "migrate", DATABASE_URL=postgres_url)
            for _ in range(3)
        )
    )
    assert [result.code for result in results] == [0, 0, 0], [r.err[-2000:] for r in results]
    assert await _schema_diff(postgres_url) == []
    assert "posts" in await _tables(postgres_url)
