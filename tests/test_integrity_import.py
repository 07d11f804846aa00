"""`tgassist import` stores each file atomically, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import create_engine
from storage.migrate import upgrade_async
from storage.models import ChannelRow, PostRow, SubscriptionRow
from tests.cli import run_cli
from tests.integrity_support import install_failure, write_export


async def _count(database_url: str, table: type) -> int:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        value = await connection.scalar(select(func.count()).select_from(table))
    await engine.dispose()
    return int(value or 0)


def test_imports_are_not_atomic_per_file_on_sqlite(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file whose posts fail to insert leaves nothing: no channel, no empty subscription."""
    asyncio.run(upgrade_async(database_url))
    asyncio.run(install_failure(database_url, "posts", "INSERT", "ROW.text LIKE '%poison%'"))
    broken = write_export(tmp_path / "broken", "Broken", 1777000111, ["fine", "poison pill"])
    result = run_cli(
        monkeypatch,
        capsys,
        tmp_path,
        "import",
        str(broken),
        "--chat",
        "42",
        DATABASE_URL=database_url,
    )
    assert result.code == 2, result
    assert "could not store" in result.err and "injected database failure" in result.err
    assert asyncio.run(_count(database_url, ChannelRow)) == 0
    assert asyncio.run(_count(database_url, SubscriptionRow)) == 0
    assert asyncio.run(_count(database_url, PostRow)) == 0
