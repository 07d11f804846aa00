"""Polling public channels: incremental reads, backoff on errors, other channels unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.container import Container
from core.channels.polling import MAX_BACKOFF
from tests.fakes.tme import FakeTelegramWeb
from tests.polling_support import hand_clock, polling_container


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me with two channels."""
    async with FakeTelegramWeb() as web:
        web.add_channel("alpha", "Alpha", [f"alpha post {i}" for i in range(1, 6)])
        web.add_channel("beta", "Beta", [f"beta post {i}" for i in range(1, 4)])
        yield web


@pytest.fixture
async def container(
    tmp_path: Path, tme: FakeTelegramWeb, database_url: str
) -> AsyncIterator[Container]:
    """The app's container on SQLite and PostgreSQL, reading the fake t.me, with a hand clock."""
    async with polling_container(tmp_path, tme, database_url) as built:
        yield built


async def _subscribe(container: Container, chat_id: int, name: str) -> None:
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(chat_id, "private", None, "en")
        await container.subscriptions.subscribe(uow, tenant, name, chat_id)


async def test_poll_reads_only_new_posts_and_indexes_them(
    container: Container, tme: FakeTelegramWeb
) -> None:
    """A due channel is polled for posts newer than the last seen one; they reach the index."""
    await _subscribe(container, 1, "@alpha")
    await container.background_indexer.drain()
    clock = hand_clock(container)
    assert await container.poller.poll_due() == []  # nothing due right after the backfill
    tme.add_post("alpha", "alpha breaking news")
    tme.add_post("alpha", "alpha more news")
    clock.now += timedelta(minutes=11)
    [result] = await container.poller.poll_due()
    assert result.new_posts == 2 and result.error is None
    await container.background_indexer.drain()
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(1)
        [channel] = await uow.channels.subscribed(tenant.id)  # type: ignore[union-attr]
    assert channel.post_count == 7 and channel.channel.last_message_id == 7
    stats = await container.index.stats(tenant.id)  # type: ignore[union-attr]
    assert stats is not None and stats.points_count == 7


async def test_failing_channel_backs_off_and_others_go_on(
    container: Container, tme: FakeTelegramWeb
) -> None:
    """A channel whose preview fails is marked and backed off exponentially; others still poll."""
    await _subscribe(container, 1, "@alpha")
    await _subscribe(container, 1, "@beta")
    clock = hand_clock(container)
    tme.channels["alpha"].status = 503
    tme.add_post("beta", "beta news")
    clock.now += timedelta(minutes=11)
    results = {r.channel_id: r for r in await container.poller.poll_due()}
    assert sorted(r.error is None for r in results.values()) == [False, True]
    async with container.uow_factory() as uow:
        alpha = await uow.channels.by_username("alpha")
        beta = await uow.channels.by_username("beta")
    assert alpha is not None and beta is not None
    assert alpha.poll_errors == 1 and "503" in (alpha.last_error or "")
    assert alpha.last_error_kind == "unavailable"  # what chats are told, in their language
    assert beta.poll_errors == 0 and beta.last_message_id == 4

    # Ten minutes later only beta is due again; alpha waits twice as long.
    clock.now += timedelta(minutes=11)
    assert [r.channel_id for r in await container.poller.poll_due()] == [beta.id]
    clock.now += timedelta(minutes=11)
    assert alpha.id in [r.channel_id for r in await container.poller.poll_due()]
    assert container.poller.next_poll(30) - clock.now <= MAX_BACKOFF


async def test_garbage_preview_does_not_crash_polling(
    container: Container, tme: FakeTelegramWeb
) -> None:
    """A channel that later loses its preview (redirect) is recorded as an error, not a crash."""
    await _subscribe(container, 1, "@alpha")
    tme.channels["alpha"].private = True
    hand_clock(container).now += timedelta(minutes=11)
    [result] = await container.poller.poll_due()
    assert result.error is not None and "preview" in result.error
