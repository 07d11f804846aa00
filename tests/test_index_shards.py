"""Memory per tenant: the embedded index keeps a bounded number of shards open (LRU, idle)."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from storage.index.edge import EdgePostIndex
from storage.index.sparse import SparseEncoder
from tests.test_index_contract import CORPUS, RATE


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_open_shards_are_capped_and_closed_ones_reopen_on_use(tmp_path: Path) -> None:
    """30 tenants through an index capped at 3 open shards: never more than 3, files stay flat,
    and every tenant still finds its posts (a closed shard reopens)."""
    index = EdgePostIndex(tmp_path, SparseEncoder(), None, max_open=3)
    try:
        await index.upsert(1, CORPUS)
        baseline = _open_files()
        for tenant in range(2, 31):
            await index.upsert(tenant, CORPUS)
            assert index.open_shards <= 3
        assert _open_files() <= baseline + 3 * 20  # no growth with the number of tenants
        for tenant in (1, 15, 30):
            [hit, *_] = await index.search(tenant, "ключевая ставка центробанк")
            assert hit.document.permalink == RATE.permalink
        assert index.open_shards == 3
    finally:
        await index.close()


async def test_idle_shards_are_closed(tmp_path: Path) -> None:
    """A shard unused for longer than idle_seconds is closed when another one opens."""
    index = EdgePostIndex(tmp_path, SparseEncoder(), None, idle_seconds=0.2)
    try:
        await index.upsert(1, CORPUS)
        await asyncio.sleep(0.3)
        await index.upsert(2, CORPUS)
        assert index.open_shards == 1
        stats = await index.stats(1)
        assert stats is not None and stats.points_count == len(CORPUS)
    finally:
        await index.close()


async def test_a_search_racing_the_lru_reopens_the_shard(tmp_path: Path) -> None:
    """Searches of many tenants at once through a cap of 1 all succeed (evicted mid-way: reopened)."""
    index = EdgePostIndex(tmp_path, SparseEncoder(), None, max_open=1)
    try:
        for tenant in range(1, 6):
            await index.upsert(tenant, CORPUS)
        results = await asyncio.gather(
            *(index.search(tenant, "ключевая ставка") for tenant in [1, 2, 3, 4, 5] * 4)
        )
        assert all(hits and hits[0].document.permalink == RATE.permalink for hits in results)
    finally:
        await index.close()


async def test_a_shard_made_with_both_indexes_per_field_is_upgraded_on_open(tmp_path: Path) -> None:
    """A shard whose channel_id/date got full Integer indexes (map + range each, before this
    layout) is given the one index each field needs when opened, and filters still work."""
    from qdrant_edge import EdgeShard, PayloadSchemaType, UpdateOperation

    from core.ports import SearchFilter
    from tests.test_index_contract import BASE, DOLLAR

    index = EdgePostIndex(tmp_path, SparseEncoder(), None)
    await index.upsert(1, CORPUS)
    await index.close()
    path = str(tmp_path / "t1_posts")
    shard = EdgeShard.load(path)
    for key in ("channel_id", "date"):  # back to the old layout
        shard.update(UpdateOperation.delete_field_index(key))
        shard.update(UpdateOperation.create_field_index(key, PayloadSchemaType.Integer))
    assert all(info.params is None for info in shard.info().payload_schema.values())
    shard.close()

    index = EdgePostIndex(tmp_path, SparseEncoder(), None)
    try:
        hits = await index.search(
            1,
            "курс доллара ключевая ставка",
            filters=SearchFilter(channel_ids=[3], since=BASE + timedelta(days=7)),
        )
        assert [hit.document.permalink for hit in hits] == [DOLLAR.permalink]
    finally:
        await index.close()
    shard = EdgeShard.load(path)
    try:
        schema = shard.info().payload_schema
        assert schema["channel_id"].params is not None
        assert schema["date"].params is not None
    finally:
        shard.close()
