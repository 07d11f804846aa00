"""`tgassist dlq list|show|retry|purge` against the SQL dead-letter table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.interests.service import INTERESTS_DLQ_STREAM
from core.vision.service import VISION_DLQ_STREAM
from storage.db import create_session_factory
from storage.dlq import SqlDeadLetterQueue
from tests.cli import cli_database_url, run_cli
from tests.interest_support import ask
from tests.quota_support import make_tenants, migrated

LEAKY_TOKEN = "123456789:AAEhBOweik9ai2o4jsHdbKsdfwertyuiopQQ"


async def _fill(url: str) -> dict[str, str]:
    """A user with a question, two failed syncs of theirs and one failed vision post."""
    async with migrated(url) as db:
        [tenant] = await make_tenants(db.uow_factory, 555)
        await ask(db.uow_factory, tenant, 555, "инфляция и ставка")
        queue = SqlDeadLetterQueue(create_session_factory(db.engine))
        entry = {"user_id": 555, "tenant_id": tenant, "error_type": "RuntimeError", "attempts": 1}
        first = await queue.add(
            INTERESTS_DLQ_STREAM, {**entry, "error": f"GET /bot{LEAKY_TOKEN}/x: " + "y" * 800}
        )
        second = await queue.add(INTERESTS_DLQ_STREAM, {**entry, "error": "database is locked"})
        vision = await queue.add(
            VISION_DLQ_STREAM,
            {"tenant_id": tenant, "post_id": 1, "error": "timeout", "error_type": "LLMError"},
        )
    return {"first": first, "second": second, "vision": vision}


def test_dlq_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """List, page, show (redacted, truncated), retry (success removes, failure keeps), purge."""
    (tmp_path / "data").mkdir()
    ids = asyncio.run(_fill(cli_database_url(tmp_path)))

    listing = run_cli(monkeypatch, capsys, tmp_path, "dlq", "list", "--json")
    assert listing.code == 0, listing.err
    lengths = {item["stream"]: item["length"] for item in listing.json()["streams"]}
    assert lengths == {INTERESTS_DLQ_STREAM: 2, VISION_DLQ_STREAM: 1}

    page = run_cli(monkeypatch, capsys, tmp_path, "dlq", "list", "user_interests.sync", "--json")
    document = page.json()
    assert document["total"] == 2
    assert [entry["id"] for entry in document["entries"]] == [ids["second"], ids["first"]]
    assert LEAKY_TOKEN not in page.out

    shown = run_cli(monkeypatch, capsys, tmp_path, "dlq", "show", ids["first"], "--json")
    assert shown.code == 0
    fields = shown.json()["fields"]
    assert fields["user_id"] == 555 and fields["error_type"] == "RuntimeError"
    assert LEAKY_TOKEN not in fields["error"] and "***" in fields["error"]
    assert len(fields["error"]) <= 300 and fields["error"].endswith("…")
    text = run_cli(monkeypatch, capsys, tmp_path, "dlq", "show", ids["first"])
    assert "user_id: 555" in text.out and LEAKY_TOKEN not in text.out
    assert run_cli(monkeypatch, capsys, tmp_path, "dlq", "show", "s999").code == 1

    retried = run_cli(monkeypatch, capsys, tmp_path, "dlq", "retry", ids["first"], "--json")
    assert retried.code == 0, retried.err
    assert retried.json()["ok"] is True and retried.json()["removed"] is True
    failing = run_cli(monkeypatch, capsys, tmp_path, "dlq", "retry", ids["vision"], "--json")
    assert failing.code == 1  # no vision model configured: the retry cannot succeed
    assert failing.json()["attempts"] == 2 and failing.json()["removed"] is False
    kept = run_cli(monkeypatch, capsys, tmp_path, "dlq", "show", ids["vision"], "--json")
    assert kept.json()["attempts"] == 2

    every = run_cli(
        monkeypatch, capsys, tmp_path, "dlq", "retry", "--all", INTERESTS_DLQ_STREAM, "--json"
    )
    assert every.json() == {
        "stream": INTERESTS_DLQ_STREAM,
        "retried": 1,
        "succeeded": 1,
        "failed": 0,
    }

    refused = run_cli(monkeypatch, capsys, tmp_path, "dlq", "purge", "vision")
    assert refused.code == 2 and "--yes" in refused.err
    assert run_cli(monkeypatch, capsys, tmp_path, "dlq", "show", ids["vision"]).code == 0
    purged = run_cli(monkeypatch, capsys, tmp_path, "dlq", "purge", "vision", "--yes", "--json")
    assert purged.json() == {"stream": VISION_DLQ_STREAM, "removed": 1}
    after = run_cli(monkeypatch, capsys, tmp_path, "dlq", "list")
    assert f"{VISION_DLQ_STREAM}\t0" in after.out
    assert run_cli(monkeypatch, capsys, tmp_path, "dlq", "list", "Bad/Name").code == 2


def test_jobs_run_interests_sync_and_dlq_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tgassist jobs run interests-sync` syncs once; `dlq-metrics` reports stream lengths."""
    (tmp_path / "data").mkdir()
    asyncio.run(_fill(cli_database_url(tmp_path)))
    listed = run_cli(monkeypatch, capsys, tmp_path, "jobs", "list", "--json")
    jobs = {job["name"]: job for job in listed.json()["jobs"]}
    assert jobs["interests-sync"]["interval_seconds"] == 900.0
    synced = run_cli(monkeypatch, capsys, tmp_path, "jobs", "run", "interests-sync", "--json")
    assert synced.code == 0, synced.err
    assert synced.json()["result"]["synced"] == 1
    metrics = run_cli(monkeypatch, capsys, tmp_path, "jobs", "run", "dlq-metrics", "--json")
    assert metrics.json()["result"] == {INTERESTS_DLQ_STREAM: 2, VISION_DLQ_STREAM: 1}
