"""Shutdown is bounded: one part that never finishes closing does not hold the process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import app.container
from app.container import build_container
from core.errors import IndexUnavailable
from storage.migrate import upgrade_async
from tests.harness import make_settings
from tests.rag_support import captured_logs


async def test_a_closer_that_hangs_is_logged_and_the_rest_still_close(tmp_path: Path) -> None:
    """A part stuck at shutdown is given up after close_timeout and named in the log; the
    parts closed after it (here the post index) are closed all the same."""
    settings = make_settings(tmp_path)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    container.close_timeout = 0.2
    stuck = asyncio.Event()

    async def never_finishes() -> None:
        stuck.set()
        await asyncio.Event().wait()

    container.closers.append(never_finishes)  # closed first: newest first
    with captured_logs(app.container) as logs:
        async with asyncio.timeout(10):
            await container.close()
    assert stuck.is_set()
    [timed_out] = [entry for entry in logs if entry["event"] == "container_close_timed_out"]
    assert timed_out["part"].endswith("never_finishes") and timed_out["log_level"] == "error"
    with pytest.raises(IndexUnavailable):
        await container.index.search(1, "anything")
