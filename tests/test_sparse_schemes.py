"""An index written by an older sparse scheme is re-encoded in the background, searchable
throughout: Qdrant Edge shards on disk and a Qdrant collection (qdrant-client in-process)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient

from core.ports import PostIndex
from storage.index.edge import EdgePostIndex
from storage.index.server import QdrantServerIndex
from storage.index.sparse import LEGACY_VECTOR, SparseEncoder
from tests.test_index_contract import CORPUS, RATE, post

pytestmark = pytest.mark.filterwarnings(
    "ignore:Payload indexes have no effect:UserWarning",
    "ignore:Local mode performs exact:UserWarning",
)

OLD = SparseEncoder(lemmas=False, headline_repeat=0)  # the scheme of releases before lemmas
RALLY = post(4, 1, "Сотни человек вышли на митинг у мэрии", day=8)
# Enough posts for several re-encoding batches.
FILLER = [
    post(5, n, f"Новость номер {n}: погода, курс и транспорт в городе", day=9) for n in range(300)
]
POSTS = [*CORPUS, RALLY, *FILLER]


def test_scheme_names_round_trip() -> None:
    """Every scheme has its own vector name and the name gives back the scheme's encoder."""
    assert OLD.vector_name == LEGACY_VECTOR
    assert SparseEncoder().vector_name != LEGACY_VECTOR
    for encoder in (SparseEncoder(), OLD, SparseEncoder(lemmas=False, k=1.5)):
        found = SparseEncoder.for_vector(encoder.vector_name)
        assert found is not None and found.vector_name == encoder.vector_name
    assert SparseEncoder.for_vector("dense-e5") is None


def test_lemmas_match_other_forms_than_stems() -> None:
    """The default scheme finds "человек" for "люди", which stems cannot (the test's probe)."""
    document = SparseEncoder().document(RALLY.text).indices
    assert set(SparseEncoder().query("люди").indices) & set(document)
    assert not set(OLD.query("люди").indices) & set(OLD.document(RALLY.text).indices)


async def _found(index: PostIndex, query: str) -> list[int]:
    return [hit.document.post_id for hit in await index.search(1, query)]


async def _settled(index: PostIndex) -> dict[str, object]:
    """The collection's stats once re-encoding is over (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        stats = await index.stats(1)
        assert stats is not None
        if not stats.extra["sparse_reencoding"] or time.monotonic() > deadline:
            return stats.extra
        await asyncio.sleep(0.05)


async def test_edge_shard_of_the_old_scheme_is_reencoded(tmp_path: Path) -> None:
    """A shard written with stems only: searched with the old vector while re-encoding waits,
    posts written meanwhile are found, then the shard holds only the new scheme's vector."""
    old = EdgePostIndex(tmp_path, OLD, None)
    await old.upsert(1, POSTS)
    assert await _found(old, "люди") == []
    await old.close()

    index = EdgePostIndex(tmp_path, SparseEncoder(), None)
    gate = threading.Event()
    index._reencoder.submit(gate.wait, 30)  # re-encoding queues behind this until set
    try:
        assert await _found(index, "ключевая ставка") == [RATE.post_id]  # the old vector
        stats = await index.stats(1)
        assert stats is not None
        assert stats.extra["sparse"] == LEGACY_VECTOR and stats.extra["sparse_reencoding"]
        late = post(6, 1, "Депутаты приняли закон о ключевой ставке", day=10)
        await index.upsert(1, [late])
        assert late.post_id in await _found(index, "ключевая ставка")
        gate.set()
        extra = await _settled(index)
        assert extra["sparse"] == SparseEncoder().vector_name
        assert await _found(index, "люди") == [RALLY.post_id]  # lemmas: the new vector
        assert late.post_id in await _found(index, "ключевая ставка")
        assert len(await index.search(1, "погода транспорт", limit=400)) == len(FILLER)
        config = json.loads((tmp_path / "t1_posts" / "edge_config.json").read_text())
        assert list(config["sparse_vectors"]) == [SparseEncoder().vector_name]
    finally:
        gate.set()
        await index.close()
    reopened = EdgePostIndex(tmp_path, SparseEncoder(), None)
    try:
        stats = await reopened.stats(1)
        assert stats is not None and not stats.extra["sparse_reencoding"]
        assert await _found(reopened, "люди") == [RALLY.post_id]
    finally:
        await reopened.close()


async def test_edge_reencoding_cut_short_resumes(tmp_path: Path) -> None:
    """An index closed before re-encoding ran keeps the old vector searchable and finishes the
    re-encoding the next time the shard opens."""
    old = EdgePostIndex(tmp_path, OLD, None)
    await old.upsert(1, POSTS)
    await old.close()
    first = EdgePostIndex(tmp_path, SparseEncoder(), None)
    gate = threading.Event()
    first._reencoder.submit(gate.wait, 30)
    assert await _found(first, "ключевая ставка") == [RATE.post_id]
    await first.close()  # the queued re-encoding is dropped
    gate.set()
    config = json.loads((tmp_path / "t1_posts" / "edge_config.json").read_text())
    assert set(config["sparse_vectors"]) == {LEGACY_VECTOR, SparseEncoder().vector_name}

    second = EdgePostIndex(tmp_path, SparseEncoder(), None)
    try:
        assert await _found(second, "ключевая ставка") == [RATE.post_id]
        assert (await _settled(second))["sparse"] == SparseEncoder().vector_name
        assert await _found(second, "люди") == [RALLY.post_id]
    finally:
        await second.close()


async def test_server_collection_of_the_old_scheme_is_reencoded() -> None:
    """The Qdrant adapter does the same: old vector searched until every point has the new one."""
    client = AsyncQdrantClient(location=":memory:")
    old = QdrantServerIndex(client, OLD, None)
    await old.upsert(1, POSTS)
    assert await _found(old, "люди") == []

    index = QdrantServerIndex(client, SparseEncoder(), None)
    assert await _found(index, "ключевая ставка") == [RATE.post_id]
    late = post(6, 1, "Депутаты приняли закон о ключевой ставке", day=10)
    await index.upsert(1, [late])
    extra = await _settled(index)
    assert extra["sparse"] == SparseEncoder().vector_name
    assert await _found(index, "люди") == [RALLY.post_id]
    assert late.post_id in await _found(index, "ключевая ставка")
    info = await client.get_collection("t1_posts")
    assert list(info.config.params.sparse_vectors or {}) == [SparseEncoder().vector_name]
    await index.close()
