"""The Qdrant server going away while posts are indexed: they stay pending, and are indexed
exactly once when it is back.

The real server adapter (`QdrantServerIndex`) runs on qdrant-client's in-process mode behind a
switch that makes every call fail the way an unreachable server does (qdrant-client's
`ResponseHandlingException` around httpx's `ConnectError`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from qdrant_client import AsyncQdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException
from sqlalchemy import select

import core.ingest.indexing
from app.container import Container, build_container
from core.errors import IndexUnavailable
from jobs.registry import build_jobs
from storage.index.server import QdrantServerIndex
from storage.index.sparse import SparseEncoder
from storage.migrate import upgrade_async
from storage.models.core import PostIndexStateRow
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import make_settings
from tests.polling_support import HandClock
from tests.rag_support import captured_logs, events, seed_channel

pytestmark = pytest.mark.filterwarnings(
    "ignore:Payload indexes have no effect in the local Qdrant:UserWarning"
)

POSTS = [
    "Центробанк повысил ключевую ставку до 21%.",
    "В Москве выпал первый снег.",
    "Метро открыло новую станцию на кольцевой линии.",
    "Хоккейный клуб ЦСКА выиграл пятый матч подряд.",
    "В парке Горького открылся каток.",
    "Учёные нашли воду на спутнике Юпитера.",
    "Аэропорт Шереметьево отменил рейсы из-за тумана.",
]


class SwitchableQdrant:
    """An in-process AsyncQdrantClient whose "network" can be cut.

    While `down` (or once `upserts_left` reaches 0), every call raises what qdrant-client
    raises for a server it cannot connect to.
    """

    def __init__(self) -> None:
        self._client = AsyncQdrantClient(location=":memory:")
        self.down = False
        self.upserts_left: int | None = None  # None: no limit
        self.upserts = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name == "close" or not callable(target):
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            if name == "upsert" and self.upserts_left is not None:
                if self.upserts_left <= 0:
                    self.down = True
                self.upserts_left -= 1
            if self.down:
                raise ResponseHandlingException(
                    httpx.ConnectError("All connection attempts failed")
                )
            result = await target(*args, **kwargs)
            if name == "upsert":
                self.upserts += 1
            return result

        return call


@pytest.fixture
def qdrant() -> SwitchableQdrant:
    """A reachable in-process Qdrant, until the test cuts it off."""
    return SwitchableQdrant()


@pytest.fixture
async def container(
    tmp_path: Path, database_url: str, qdrant: SwitchableQdrant
) -> AsyncIterator[Container]:
    """The app's container on SQLite and PostgreSQL with the Qdrant server adapter, batches of 3."""
    settings = make_settings(tmp_path, database_url=database_url, index_batch_size=3)
    await upgrade_async(settings.resolved_database_url)
    index = QdrantServerIndex(qdrant, SparseEncoder(), None)  # type: ignore[arg-type]
    built = build_container(settings, index=index)
    yield built
    await built.close()


async def _index_errors(container: Container, tenant_id: int) -> list[str | None]:
    async with container.uow_factory() as uow:
        rows = await uow.session.scalars(
            select(PostIndexStateRow.error).where(PostIndexStateRow.tenant_id == tenant_id)
        )
        return list(rows)


async def _pending(container: Container, tenant_id: int) -> int:
    return await container.indexer.pending(tenant_id)


async def test_posts_stay_pending_while_qdrant_is_down_and_are_indexed_once_later(
    container: Container, qdrant: SwitchableQdrant
) -> None:
    """Qdrant dies after the first batch: that batch stays indexed, the rest stays pending with
    the error recorded; when Qdrant is back the index-pending job indexes the rest, once."""
    tenant_id, _ = await seed_channel(container.uow_factory, 1, POSTS)
    qdrant.upserts_left = 1
    with captured_logs(core.ingest.indexing) as logs, pytest.raises(IndexUnavailable):
        await container.indexer.index_tenant(tenant_id)
    [failed] = events(logs, "index_batch_failed")
    assert failed["posts"] == 3 and "cannot be reached" in failed["error"]
    assert await _pending(container, tenant_id) == len(POSTS) - 3
    errors = await _index_errors(container, tenant_id)
    assert errors.count(None) == 3  # the first batch, indexed
    assert len([e for e in errors if e and "cannot be reached" in e]) == 3  # the failed batch

    # The background indexer and the scheduled job meet the same outage: nothing is lost.
    container.background_indexer.kick(tenant_id)
    with captured_logs(core.ingest.indexing) as logs:
        await container.background_indexer.drain()
    [warning] = events(logs, "tenant_indexing_failed")
    assert warning["tenant_id"] == tenant_id
    # The job counts the failing tenant instead of stopping there (other tenants go on).
    assert await build_jobs(container)["index-pending"].run(None) == {
        "indexed": 0,
        "failed_tenants": 1,
    }
    assert await _pending(container, tenant_id) == len(POSTS) - 3

    qdrant.down, qdrant.upserts_left = False, None
    result = await build_jobs(container)["index-pending"].run(None)
    assert result == {"indexed": len(POSTS) - 3, "failed_tenants": 0}
    assert await _pending(container, tenant_id) == 0
    assert await _index_errors(container, tenant_id) == [None] * len(POSTS)
    stats = await container.index.stats(tenant_id)
    assert stats is not None and stats.points_count == len(POSTS)  # each post once
    hits = await container.index.search(tenant_id, "Шереметьево туман", limit=1)
    assert hits[0].document.text == POSTS[-1]
    assert await build_jobs(container)["index-pending"].run(None) == {
        "indexed": 0,
        "failed_tenants": 0,
    }


async def test_new_posts_polled_during_the_outage_are_answered_after_it(
    tmp_path: Path, qdrant: SwitchableQdrant
) -> None:
    """Posts read from t.me while Qdrant is down are stored and pending; a question meanwhile
    gets an error answer, not made-up sources; after the outage the same question finds them."""
    web = FakeTelegramWeb()
    web.add_channel("alpha", "Alpha", ["alpha: погода в Москве"])
    await web.start()
    settings = make_settings(tmp_path, telegram_web_base=web.base_url, poll_jitter_seconds=0)
    await upgrade_async(settings.resolved_database_url)
    index = QdrantServerIndex(qdrant, SparseEncoder(), None)  # type: ignore[arg-type]
    container = build_container(settings, index=index)
    clock = HandClock(datetime.now(UTC))
    container.poller._clock = clock
    try:
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(5, "private", None, "en")
            await container.subscriptions.subscribe(uow, tenant, "@alpha", 5)
        await container.background_indexer.drain()
        assert await _pending(container, tenant.id) == 0

        qdrant.down = True
        web.add_post("alpha", "Аэропорт Шереметьево отменил рейсы из-за тумана")
        clock.now += timedelta(minutes=11)
        [polled] = await container.poller.poll_due()
        assert polled.new_posts == 1 and polled.error is None
        await container.background_indexer.drain()
        assert await _pending(container, tenant.id) == 1
        during = await container.questions.ask(tenant.id, "Шереметьево туман")
        assert during.status.value == "error" and during.sources == []

        qdrant.down = False
        await build_jobs(container)["index-pending"].run(None)
        after = await container.questions.ask(tenant.id, "Шереметьево туман")
        assert after.status.value == "ok"
        assert after.sources[0].post.url == "https://t.me/alpha/2"
        stats = await container.index.stats(tenant.id)
        assert stats is not None and stats.points_count == 2
    finally:
        await container.close()
        await web.stop()


async def test_unsubscribe_while_qdrant_is_down_converges_on_the_next_indexing_run(
    container: Container, qdrant: SwitchableQdrant
) -> None:
    """Unsubscribing while Qdrant is down changes the database and records the purge; the next
    indexing run (the index-pending job) removes the channel's points once Qdrant is back."""
    tenant_id, channel = await seed_channel(container.uow_factory, 1, POSTS)
    await container.indexer.index_tenant(tenant_id)
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.by_id(tenant_id)
        assert tenant is not None
        qdrant.down = True
        left = await container.subscriptions.unsubscribe_channel(uow, tenant, channel.id)
    assert left is not None and left.id == channel.id
    async with container.uow_factory() as uow:
        assert not await uow.channels.is_subscribed(tenant_id, channel.id)
        assert await uow.posts.index_purges(tenant_id) == [channel.id]
    qdrant.down = False
    result = await build_jobs(container)["index-pending"].run(None)
    assert result == {"indexed": 0, "failed_tenants": 0}
    stats = await container.index.stats(tenant_id)
    assert stats is None or stats.points_count == 0
    async with container.uow_factory() as uow:
        assert await uow.posts.index_purges(tenant_id) == []
