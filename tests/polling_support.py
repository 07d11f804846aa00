"""The poller's container with a clock the test moves by hand (polling and its fault tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from app.container import Container, build_container
from storage.migrate import upgrade_async
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import make_settings


class HandClock:
    """A clock the test moves by hand (`clock.now += timedelta(...)`)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2024, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def polling_container(
    tmp_path: Path, tme: FakeTelegramWeb, database_url: str
) -> AsyncIterator[Container]:
    """The app's container on `database_url`, reading the fake t.me, its poller on a HandClock."""
    settings = make_settings(
        tmp_path, telegram_web_base=tme.base_url, database_url=database_url, poll_jitter_seconds=0
    )
    await upgrade_async(settings.resolved_database_url)
    built = build_container(settings)
    built.poller._clock = HandClock()
    try:
        yield built
    finally:
        await built.close()


def hand_clock(container: Container) -> HandClock:
    """The HandClock a polling_container's poller runs on."""
    return cast(HandClock, container.poller._clock)
