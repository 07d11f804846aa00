"""`tgassist import` stores each file atomically, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import create_engine
from storage.migrate import upgrade_async
from storage.models import ChannelRow, PostRow, SubscriptionRow
from tests.cli import CliResult, run_cli, write_export
from tests.integrity_support import install_failure


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
    broken = write_export(
        tmp_path / "broken" / "result.json", 1777000111, ["fine", "poison pill"], name="Broken"
    )
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


def test_index_all_stops_at_the_first_failing_tenant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jobs run index-pending` with one chat's index shard broken on disk still indexes the
    other chat, and counts the failure."""

    def cli(*argv: str) -> CliResult:
        return run_cli(monkeypatch, capsys, tmp_path, *argv)

    first = write_export(
        tmp_path / "a" / "result.json", 1777000201, ["Бюджет на следующий год"], name="Alpha"
    )
    second = write_export(
        tmp_path / "b" / "result.json", 1777000202, ["Налоги и бюджет регионов"], name="Beta"
    )
    broken = cli("import", str(first), "--chat", "41", "--no-index", "--json").json()
    assert cli("import", str(second), "--chat", "42", "--no-index", "--json").code == 0
    shard = tmp_path / "data" / "qdrant" / f"t{broken['tenant_id']}_posts"
    shard.parent.mkdir(parents=True, exist_ok=True)
    shard.write_text("not a shard")  # a real fault: this chat's shard cannot be opened

    ran = cli("jobs", "run", "index-pending", "--json")
    assert ran.code == 0, ran.err
    assert ran.json()["result"] == {"indexed": 1, "failed_tenants": 1}
    found = cli("search", "бюджет регионов", "--chat", "42", "--json")
    assert found.code == 0 and "Налоги и бюджет регионов" in found.out
