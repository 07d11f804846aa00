"""`tgassist import` of the whole shared corpus killed with SIGKILL, twice, then run again:
every post ends up stored once and indexed once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.index.edge import EdgePostIndex
from storage.index.sparse import SparseEncoder
from tests.cli import cli_env, run_cli_process

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]


def _count(database: Path, sql: str) -> int:
    """One number from the importer's SQLite database, read while it writes (0 before it exists)."""
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
            return int(connection.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet, or a write lock for a moment
        return 0


def _import_killed_when(tmp_path: Path, corpus: Path, sql: str, threshold: int) -> int:
    """Start the import and SIGKILL it once `sql` counts at least `threshold`; returns that count."""
    database = tmp_path / "data" / "tgassist.sqlite3"
    errors = tmp_path / "import.err"
    with errors.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "import", str(corpus), "--chat", "1", "--json"],
            cwd=tmp_path,
            env={**os.environ, **cli_env(tmp_path), "PYTHONPATH": str(PROJECT)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 300
            while (seen := _count(database, sql)) < threshold:
                if child.poll() is not None:
                    raise AssertionError(f"import ended before the kill: {errors.read_text()}")
                assert time.monotonic() < deadline, "import made no progress"
                time.sleep(0.02)
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return seen


def _corpus_posts(corpus: Path) -> int:
    manifest = json.loads((corpus / "channels.json").read_text(encoding="utf-8"))
    return sum(int(entry["posts"]) for entry in manifest)


async def test_import_killed_while_storing_and_while_indexing_completes_exactly_once(
    tmp_path: Path, shared_corpus: Path
) -> None:
    """SIGKILL mid-store, SIGKILL mid-index, then a full run: every post once in the database,
    once in the index, none pending, none with an index error."""
    total = _corpus_posts(shared_corpus)
    database = tmp_path / "data" / "tgassist.sqlite3"

    _import_killed_when(tmp_path, shared_corpus, "SELECT count(*) FROM posts", 3000)
    assert 3000 <= _count(database, "SELECT count(*) FROM posts") < total
    assert _count(database, "SELECT count(*) FROM post_index_state") == 0

    indexed = _import_killed_when(
        tmp_path, shared_corpus, "SELECT count(*) FROM post_index_state", 2000
    )
    assert _count(database, "SELECT count(*) FROM posts") == total
    assert 2000 <= _count(database, "SELECT count(*) FROM post_index_state") < total

    final = run_cli_process(tmp_path, "import", str(shared_corpus), "--chat", "1", "--json")
    assert final.code == 0, final.err
    report = final.json()
    assert report["inserted"] == 0 and report["unchanged"] == total  # stored by the killed runs
    assert report["index_error"] is None
    assert 0 < report["indexed"] <= total - indexed  # only what the killed run had not recorded

    assert _count(database, "SELECT count(*) FROM posts") == total
    assert (
        _count(database, "SELECT count(DISTINCT channel_id || ':' || message_id) FROM posts")
        == total
    )
    assert _count(database, "SELECT count(*) FROM post_index_state") == total
    assert (
        _count(
            database,
            "SELECT count(*) FROM post_index_state s JOIN posts p ON p.id = s.post_id "
            "WHERE s.indexed_version = p.version AND s.error IS NULL",
        )
        == total
    )
    index = EdgePostIndex(tmp_path / "data" / "qdrant", SparseEncoder(), None)
    try:
        stats = await index.stats(report["tenant_id"])
        hits = await index.search(report["tenant_id"], "ключевая ставка", limit=3)
    finally:
        await index.close()
    assert stats is not None and stats.points_count == total  # no post twice, none missing
    assert hits
    listing = run_cli_process(tmp_path, "channels", "--chat", "1", "--json")
    assert listing.code == 0, listing.err
    assert json.loads(listing.out)["pending_index"] == 0
