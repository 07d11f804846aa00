"""Shared fixtures: fake Bot API and OpenAI-compatible servers, databases, indexes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.services import drop_services_databases, fresh_postgres_database, redis_url_or_skip

pytest_plugins = ["tests.fakes.fixtures"]

# Property-based tests draw the same examples on every run, so CI is reproducible;
# FUZZ_EXPLORE=1 draws new ones each time.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile("explore" if os.environ.get("FUZZ_EXPLORE") else "reproducible")

# The shared corpus beside the checkout (a worktree sits one level deeper than the main one).
SHARED_DATA = next(
    (
        parent / "shared" / "data" / "telegram-news-ru"
        for parent in Path(__file__).resolve().parents
        if (parent / "shared" / "data" / "telegram-news-ru" / "channels.json").exists()
    ),
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "telegram-news-ru",
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (skipped with the reason when PostgreSQL is absent)."""
    async for url in fresh_postgres_database():
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    async for url in fresh_postgres_database():
        yield url


@pytest.fixture
async def redis_url() -> str:
    """A flushed Redis database (skipped with the reason when Redis is absent)."""
    return await redis_url_or_skip()


@pytest.fixture
def shared_corpus() -> Path:
    """The shared telegram-news-ru export folder (skipped when absent)."""
    if not (SHARED_DATA / "channels.json").exists():
        pytest.skip(f"shared corpus not found at {SHARED_DATA}")
    return SHARED_DATA


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL databases of a TEST_BACKENDS=services run."""
    drop_services_databases()
