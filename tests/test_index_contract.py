"""Contract tests for the post index: Qdrant Edge and Qdrant server adapters behave the same."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import structlog.testing
from openai import AsyncOpenAI
from qdrant_client import AsyncQdrantClient

from core.errors import IndexUnavailable
from core.ports import IndexDocument, PostIndex, SearchFilter
from core.text.terms import term_set
from storage.index.edge import EdgePostIndex
from storage.index.embeddings import Embedder, LocalE5Embedder, OpenAIEmbedder, build_embedder
from storage.index.server import QdrantServerIndex
from storage.index.sparse import SparseEncoder

pytestmark = pytest.mark.filterwarnings(
    # qdrant-client's in-process mode says what it ignores; a real server uses both.
    "ignore:Payload indexes have no effect:UserWarning",
    "ignore:Local mode performs exact:UserWarning",
)

REPO = Path(__file__).resolve().parents[1]
BASE = datetime(2024, 11, 1, 12, 0, tzinfo=UTC)


def post(channel_id: int, message_id: int, text: str, *, day: int = 0) -> IndexDocument:
    """A post of channel `channel_id`, dated `day` days after BASE."""
    return IndexDocument(
        post_id=channel_id * 100 + message_id,
        channel_id=channel_id,
        channel_username=f"chan{channel_id}",
        channel_title=f"Channel {channel_id}",
        message_id=message_id,
        date=BASE + timedelta(days=day),
        permalink=f"https://t.me/chan{channel_id}/{message_id}",
        text=text,
        album_id="album-1" if message_id == 1 else None,
    )


ELECTION = post(1, 1, "На выборах президента Молдовы победила Майя Санду", day=0)
RATE = post(1, 2, "Центробанк сохранил ключевую ставку на уровне 21% годовых", day=1)
METRO = post(1, 3, "В Москве открыли три новые станции метро на Большой кольцевой линии", day=2)
WEATHER = post(2, 1, "Синоптики обещают в Москве снегопад и гололёд в выходные", day=3)
BATTERY = post(2, 2, "Учёные создали батарею, которая заряжается за пять минут", day=4)
MACBOOK = post(2, 3, "Apple released a new MacBook with the M4 chip and more memory", day=5)
HOCKEY = post(3, 1, "Сборная России по хоккею обыграла Канаду в Москве", day=6)
DOLLAR = post(3, 2, "Курс доллара на бирже превысил 100 рублей впервые с октября", day=7)
CORPUS = [ELECTION, RATE, METRO, WEATHER, BATTERY, MACBOOK, HOCKEY, DOLLAR]

IndexFactory = Callable[[Embedder | None], PostIndex]


@pytest.fixture(scope="module")
def sparse() -> SparseEncoder:
    """One encoder for every index, as the application shares it."""
    return SparseEncoder()


@pytest.fixture(scope="module")
def e5() -> LocalE5Embedder:
    """The bundled multilingual e5 model."""
    return LocalE5Embedder()


@pytest.fixture(params=["edge", "server"])
async def make_index(
    request: pytest.FixtureRequest, tmp_path: Path, sparse: SparseEncoder
) -> AsyncIterator[IndexFactory]:
    """Build indexes of one adapter kind over the same storage; close them afterwards."""
    client = AsyncQdrantClient(location=":memory:")
    made: list[PostIndex] = []

    def make(embedder: Embedder | None) -> PostIndex:
        index: PostIndex
        if request.param == "edge":
            index = EdgePostIndex(tmp_path / "index", sparse, embedder)
        else:
            index = QdrantServerIndex(client, sparse, embedder)
        made.append(index)
        return index

    yield make
    for index in made:
        await index.close()


@pytest.fixture
def index(make_index: IndexFactory) -> PostIndex:
    """A lexical-only index (no embedder)."""
    return make_index(None)


@pytest.fixture(params=["lexical", "hybrid"])
def any_index(request: pytest.FixtureRequest, make_index: IndexFactory, e5: Embedder) -> PostIndex:
    """An index without and with the dense e5 embedder."""
    return make_index(e5 if request.param == "hybrid" else None)


def ids(hits: list[Any]) -> list[int]:
    """Point ids of search hits, in rank order."""
    return [hit.document.point_id for hit in hits]


async def vectors_of(embedder: Embedder, documents: Sequence[IndexDocument]) -> dict[int, Any]:
    """Dense vectors of the documents with text, by post id (what the embed job stores)."""
    texted = [doc for doc in documents if doc.text.strip()]
    vectors = await embedder.embed_passages([doc.text for doc in texted])
    return {doc.post_id: vector for doc, vector in zip(texted, vectors, strict=True)}


# -- the contract ------------------------------------------------------------------------


async def test_missing_collection_has_no_stats(index: PostIndex) -> None:
    """A tenant that never indexed anything has no collection, and search finds nothing."""
    assert await index.stats(7) is None
    assert await index.search(7, "выборы") == []


async def test_upsert_creates_collection(index: PostIndex) -> None:
    """The first upsert creates t{tenant}_posts with one point per document."""
    await index.upsert(1, CORPUS)
    stats = await index.stats(1)
    assert stats is not None
    assert stats.name == "t1_posts"
    assert stats.points_count == len(CORPUS)


async def test_hits_carry_the_stems_computed_at_indexing(index: PostIndex) -> None:
    """Each point stores its text's content stems, so answering does not stem the posts again."""
    await index.upsert(1, CORPUS)
    [hit, *_] = await index.search(1, "ключевая ставка центробанк")
    assert hit.document.permalink == RATE.permalink
    assert hit.document.stems == term_set(RATE.text)
    assert {"ставк", "ключев"} <= hit.document.stems


async def test_reupsert_is_idempotent(index: PostIndex) -> None:
    """Upserting the same posts again keeps the count and replaces the text."""
    await index.upsert(1, CORPUS)
    edited = replace(RATE, text="Центробанк повысил ставку до 21%")
    await index.upsert(1, [*CORPUS[:1], edited, *CORPUS[2:]])
    stats = await index.stats(1)
    assert stats is not None
    assert stats.points_count == len(CORPUS)
    assert ids(await index.search(1, "повысил")) == [RATE.point_id]
    assert await index.search(1, "сохранил") == []


async def test_payload_round_trips(index: PostIndex) -> None:
    """A hit carries the document exactly as indexed, with an aware UTC date."""
    await index.upsert(1, CORPUS)
    hits = await index.search(1, "Санду", limit=1)
    assert [hit.document for hit in hits] == [ELECTION]
    assert hits[0].document.date.tzinfo is not None


async def test_russian_morphology(any_index: PostIndex) -> None:
    """ "выборы" finds the post that says "выборах" first, among distractors."""
    await any_index.upsert(1, CORPUS)
    hits = await any_index.search(1, "выборы", limit=3)
    assert ids(hits)[0] == ELECTION.point_id


async def test_english_query(any_index: PostIndex) -> None:
    """An English query with another word form ("releases") finds the English post."""
    await any_index.upsert(1, CORPUS)
    hits = await any_index.search(1, "MacBook releases", limit=3)
    assert ids(hits)[0] == MACBOOK.point_id


async def test_channel_filter(any_index: PostIndex) -> None:
    """Only the requested channels' posts come back; an empty channel list finds nothing."""
    await any_index.upsert(1, CORPUS)
    hits = await any_index.search(1, "Москва", filters=SearchFilter(channel_ids=[2, 3]))
    assert {hit.document.channel_id for hit in hits} <= {2, 3}
    assert {WEATHER.point_id, HOCKEY.point_id} <= set(ids(hits))
    assert await any_index.search(1, "Москва", filters=SearchFilter(channel_ids=[])) == []


async def test_date_filter(any_index: PostIndex) -> None:
    """since is inclusive and until exclusive."""
    await any_index.upsert(1, CORPUS)
    window = SearchFilter(since=WEATHER.date, until=HOCKEY.date)
    hits = await any_index.search(1, "Москва", filters=window)
    assert WEATHER.point_id in ids(hits)
    assert all(WEATHER.date <= hit.document.date < HOCKEY.date for hit in hits)


async def test_delete_channel(index: PostIndex) -> None:
    """Deleting a channel removes its points in that tenant only."""
    await index.upsert(1, CORPUS)
    await index.upsert(2, CORPUS)
    await index.delete_channel(1, 2)
    stats_1, stats_2 = await index.stats(1), await index.stats(2)
    assert stats_1 is not None
    assert stats_2 is not None
    assert stats_1.points_count == len(CORPUS) - 3
    assert stats_2.points_count == len(CORPUS)
    assert all(hit.document.channel_id != 2 for hit in await index.search(1, "Москва"))


async def test_delete_posts(index: PostIndex) -> None:
    """Deleting point ids removes just those posts; deleting in a missing tenant is a no-op."""
    await index.upsert(1, CORPUS)
    await index.delete_posts(1, [ELECTION.point_id, 12345])
    stats = await index.stats(1)
    assert stats is not None
    assert stats.points_count == len(CORPUS) - 1
    assert await index.search(1, "выборы") == []
    await index.delete_posts(9, [ELECTION.point_id])
    await index.delete_channel(9, 1)
    assert await index.stats(9) is None


async def test_tenants_are_isolated(index: PostIndex) -> None:
    """Tenant 1's posts never show up in tenant 2's search."""
    await index.upsert(1, [ELECTION, METRO])
    await index.upsert(2, [WEATHER])
    assert await index.search(2, "выборы") == []
    assert ids(await index.search(2, "Москва")) == [WEATHER.point_id]
    assert ids(await index.search(1, "Москва")) == [METRO.point_id]


async def test_stop_word_query_finds_nothing_lexically(index: PostIndex) -> None:
    """A query of stop words only has no terms to match."""
    await index.upsert(1, CORPUS)
    assert await index.search(1, "и в на the of") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("американская валюта резко подорожала", DOLLAR), ("прогноз: на дорогах скользко", WEATHER)],
)
async def test_hybrid_finds_paraphrase(
    make_index: IndexFactory, e5: Embedder, query: str, expected: IndexDocument
) -> None:
    """With the dense embedder a paraphrase sharing no words ranks first."""
    index = make_index(e5)
    await index.upsert(1, CORPUS, await vectors_of(e5, CORPUS))
    hits = await index.search(1, query, limit=3)
    assert ids(hits)[0] == expected.point_id


async def test_blank_post_gets_no_dense_vector(make_index: IndexFactory, e5: Embedder) -> None:
    """A post without text is stored but never matched by the dense retriever."""
    index = make_index(e5)
    blank = post(4, 1, "   ")
    await index.upsert(1, [*CORPUS, blank], await vectors_of(e5, [*CORPUS, blank]))
    stats = await index.stats(1)
    assert stats is not None
    assert stats.points_count == len(CORPUS) + 1
    assert blank.point_id not in ids(await index.search(1, "американская валюта", limit=20))


async def test_embedder_added_later(make_index: IndexFactory, e5: Embedder) -> None:
    """A collection made without embeddings keeps working once an embedder is configured."""
    lexical = make_index(None)
    await lexical.upsert(1, CORPUS[:4])
    if isinstance(lexical, EdgePostIndex):
        await lexical.close()  # the shard is single-process: hand it over
    hybrid = make_index(e5)
    await hybrid.upsert(1, CORPUS[4:], await vectors_of(e5, CORPUS[4:]))
    stats = await hybrid.stats(1)
    assert stats is not None
    assert stats.points_count == len(CORPUS)
    # Older posts have no dense vector yet, but BM25 still finds them.
    assert ELECTION.point_id in ids(await hybrid.search(1, "выборы", limit=3))
    assert (
        ids(await hybrid.search(1, "американская валюта подорожала", limit=3))[0] == DOLLAR.point_id
    )


async def test_vectors_set_later_make_search_hybrid(make_index: IndexFactory, e5: Embedder) -> None:
    """Posts indexed lexically gain dense vectors later; points the index lacks are skipped."""
    index = make_index(e5)
    await index.upsert(1, CORPUS)
    stats = await index.stats(1)
    assert stats is not None
    assert stats.extra["dense_points"] == 0
    assert await index.search(1, "американская валюта резко подорожала", limit=3) == []
    vectors = await vectors_of(e5, CORPUS)
    pairs = [(doc.point_id, vectors[doc.post_id]) for doc in CORPUS]
    missing = (post(9, 9, "not indexed").point_id, vectors[DOLLAR.post_id])
    assert await index.set_vectors(1, [*pairs, missing]) == len(CORPUS)
    hits = await index.search(1, "американская валюта резко подорожала", limit=3)
    assert ids(hits)[0] == DOLLAR.point_id
    stats = await index.stats(1)
    assert stats is not None
    assert stats.extra["dense_points"] == len(CORPUS)
    assert await index.set_vectors(2, pairs) == 0  # no collection: nothing to set


class _RenamedE5:
    """The e5 model under another name, as after a change of model or clip setting."""

    def __init__(self, e5: Embedder) -> None:
        self._e5 = e5
        self.dim = e5.dim
        self.name = "another-model"

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        return await self._e5.embed_passages(texts)

    async def embed_query(self, text: str) -> list[float]:
        return await self._e5.embed_query(text)


class _PinnedVectors:
    """An embedder with chosen vectors: every query points at (1, 0), passages as given."""

    dim = 2
    name = "pinned"

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self._vectors = vectors

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        return [self._vectors[text] for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


async def test_a_tie_between_the_two_leaders_ranks_the_same_every_time(
    make_index: IndexFactory,
) -> None:
    """The lexical leader second by meaning and the dense leader second by words tie under
    plain RRF; the dense leader comes first, in every one of many searches."""
    by_words = post(1, 1, "Курс доллара на бирже вырос до ста рублей")
    by_meaning = post(1, 2, "Американская валюта подорожала: доллар дороже ста рублей")
    embedder = _PinnedVectors({by_words.text: [0.6, 0.8], by_meaning.text: [0.9, 0.1]})
    index = make_index(embedder)
    vectors = await vectors_of(embedder, [by_words, by_meaning])
    await index.upsert(1, [by_words, by_meaning], vectors)
    lexical = make_index(None) if isinstance(index, QdrantServerIndex) else None
    if lexical is not None:  # the words alone rank the two the other way round
        assert ids(await lexical.search(1, "курс доллара", limit=2)) == [
            by_words.point_id,
            by_meaning.point_id,
        ]
    rankings = {tuple(ids(await index.search(1, "курс доллара", limit=2))) for _ in range(30)}
    assert rankings == {(by_meaning.point_id, by_words.point_id)}


async def test_meaning_outweighs_words_in_the_fusion(make_index: IndexFactory) -> None:
    """The best of five posts by meaning, last by words, outranks the best by words that the
    meaning puts fourth (the other way round with equal weights): the lexical leg weighs less."""
    by_words = post(1, 1, "Курс доллара: курс доллара снова вырос")
    second = post(1, 2, "Курс доллара вырос до ста рублей")
    third = post(1, 3, "Курс доллара на бирже вырос до ста рублей к вечеру пятницы")
    fourth = post(
        1, 4, "Курс доллара на бирже вырос до ста рублей к вечеру пятницы, пишут аналитики банков"
    )
    by_meaning = post(
        1, 5, "Американская валюта резко подорожала, доллар на бирже дороже ста рублей за штуку"
    )
    posts = [by_words, second, third, fourth, by_meaning]
    embedder = _PinnedVectors(
        {
            by_meaning.text: [1.0, 0.0],
            second.text: [0.95, 0.31],
            fourth.text: [0.9, 0.44],
            by_words.text: [0.8, 0.6],
            third.text: [0.1, 0.99],
        }
    )
    index = make_index(embedder)
    await index.upsert(1, posts, await vectors_of(embedder, posts))
    words_only = make_index(None) if isinstance(index, QdrantServerIndex) else None
    if words_only is not None:  # the lexical order the fusion sees
        lexical = await words_only.search(1, "курс доллара", limit=5)
        assert ids(lexical) == [p.point_id for p in posts]
    assert ids(await index.search(1, "курс доллара", limit=1)) == [by_meaning.point_id]


async def test_model_change_keeps_search_up_while_vectors_refill(
    make_index: IndexFactory, e5: Embedder
) -> None:
    """A new model gets its own vectors beside the old: search stays lexical until they fill."""
    first = make_index(e5)
    await first.upsert(1, CORPUS, await vectors_of(e5, CORPUS))
    if isinstance(first, EdgePostIndex):
        await first.close()
    renamed = _RenamedE5(e5)
    second = make_index(renamed)
    assert ids(await second.search(1, "выборы", limit=3))[0] == ELECTION.point_id
    stats = await second.stats(1)
    assert stats is not None
    assert (stats.points_count, stats.extra["dense_points"]) == (len(CORPUS), 0)
    vectors = await vectors_of(renamed, CORPUS)
    await second.set_vectors(1, [(doc.point_id, vectors[doc.post_id]) for doc in CORPUS])
    hits = await second.search(1, "американская валюта резко подорожала", limit=3)
    assert ids(hits)[0] == DOLLAR.point_id


# -- Qdrant Edge specifics ---------------------------------------------------------------

_HOLD_SHARD = """
import asyncio, sys
from pathlib import Path
from storage.index.edge import EdgePostIndex
from storage.index.sparse import SparseEncoder

async def main():
    index = EdgePostIndex(Path(sys.argv[1]), SparseEncoder(), None)
    await index.stats(5)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await index.close()

asyncio.run(main())
"""


async def test_edge_shard_held_by_another_process(tmp_path: Path, sparse: SparseEncoder) -> None:
    """A shard open in another process raises IndexUnavailable, and opens once released."""
    root = tmp_path / "index"
    first = EdgePostIndex(root, sparse, None)
    await first.upsert(5, [ELECTION])
    await first.close()
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLD_SHARD,
        str(root),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdin is not None
    assert holder.stdout is not None
    second = EdgePostIndex(root, sparse, None)
    try:
        while (line := await asyncio.wait_for(holder.stdout.readline(), 60)) != b"ready\n":
            assert line, "the holder process exited early"
        with pytest.raises(
            IndexUnavailable, match="t5_posts is in use by another tgassist process"
        ):
            await second.stats(5)
    finally:
        holder.stdin.close()
        await asyncio.wait_for(holder.wait(), 60)
    stats = await second.stats(5)
    assert stats is not None
    assert stats.points_count == 1
    await second.close()


async def test_edge_persists_across_close(tmp_path: Path, sparse: SparseEncoder) -> None:
    """close() flushes: a new index on the same directory finds the posts."""
    first = EdgePostIndex(tmp_path, sparse, None)
    await first.upsert(1, CORPUS)
    await first.close()
    with pytest.raises(IndexUnavailable, match="closed"):
        await first.search(1, "выборы")
    second = EdgePostIndex(tmp_path, sparse, None)
    assert ids(await second.search(1, "выборы")) == [ELECTION.point_id]
    await second.close()


class _SlowShard:
    """Wraps an EdgeShard: queries take a while and note the thread they ran on."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.threads: set[int] = set()

    def query(self, request: Any) -> Any:
        self.threads.add(threading.get_ident())
        time.sleep(0.3)
        return self._inner.query(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_edge_search_does_not_block_the_loop(tmp_path: Path, sparse: SparseEncoder) -> None:
    """A slow shard query runs on a worker thread while the event loop keeps ticking."""
    index = EdgePostIndex(tmp_path, sparse, None)
    await index.upsert(1, CORPUS)
    slow = _SlowShard(index._shards[1].shard)
    index._shards[1].shard = slow  # type: ignore[assignment]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    hits = await index.search(1, "выборы")
    task.cancel()
    assert ids(hits) == [ELECTION.point_id]
    assert ticks >= 10
    assert slow.threads
    assert threading.main_thread().ident not in slow.threads
    await index.close()


# -- sparse encoder and embedders --------------------------------------------------------


def test_sparse_encoder_normalises_words(sparse: SparseEncoder) -> None:
    """English words are stemmed, ё equals е, stop words of both languages are dropped."""
    assert sparse.query("elections").indices == sparse.query("election").indices
    assert sparse.query("ёлка").indices == sparse.query("елка").indices
    assert sparse.query("выборах").indices == sparse.query("выборы").indices
    assert not sparse.query("и в на the of is")
    document = sparse.document("Выборы выборы в США")
    assert len(document.indices) == 2  # "в" is a stop word; repeats add weight, not terms


def _embedding_server(dim: int, calls: list[dict[str, Any]]) -> httpx.MockTransport:
    """A fake /v1/embeddings endpoint returning vectors [i, i, ...] in shuffled order."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body)
        rows = []
        for position, _text in reversed(list(enumerate(body["input"]))):
            vector = np.full(dim, float(len(calls) * 10 + position), dtype=np.float32)
            encoded: Any = vector.tolist()
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(vector.tobytes()).decode()
            rows.append({"object": "embedding", "index": position, "embedding": encoded})
        usage = {"prompt_tokens": 1, "total_tokens": 1}
        return httpx.Response(
            200, json={"object": "list", "data": rows, "model": body["model"], "usage": usage}
        )

    return httpx.MockTransport(handle)


async def test_openai_embedder_batches_in_order() -> None:
    """Inputs go in batches, come back in input order, and blank texts are still sent."""
    calls: list[dict[str, Any]] = []
    http = httpx.AsyncClient(transport=_embedding_server(4, calls))
    client = AsyncOpenAI(api_key="test", base_url="http://fake/v1", http_client=http)
    embedder = OpenAIEmbedder(model="text-embedding-3-small", dim=4, batch_size=2, client=client)
    vectors = await embedder.embed_passages(["a", "b", "", "d", "e"])
    assert [vector[0] for vector in vectors] == [10.0, 11.0, 20.0, 21.0, 30.0]
    assert [call["input"] for call in calls] == [["a", "b"], [" ", "d"], ["e"]]
    assert all(call["dimensions"] == 4 for call in calls)
    assert await embedder.embed_query("q") == [40.0] * 4
    await embedder.close()


async def test_openai_embedder_rejects_wrong_dimension() -> None:
    """A model answering with other-sized vectors fails loudly, not at search time."""
    http = httpx.AsyncClient(transport=_embedding_server(8, []))
    client = AsyncOpenAI(api_key="test", base_url="http://fake/v1", http_client=http)
    embedder = OpenAIEmbedder(model="bge-m3", dim=4, client=client)
    with pytest.raises(ValueError, match="8-dim"):
        await embedder.embed_query("q")
    await embedder.close()


def test_build_embedder_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    """none → None; openai without key or URL and local on an unsupported CPU warn once → None."""
    assert build_embedder("none") is None
    assert isinstance(build_embedder("local"), LocalE5Embedder)
    openai = build_embedder("openai", model="m", base_url="http://localhost:8000/v1")
    assert isinstance(openai, OpenAIEmbedder)
    with pytest.raises(ValueError, match="unknown embeddings kind"):
        build_embedder("magic")
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    with structlog.testing.capture_logs() as logs:
        assert build_embedder("local") is None
        assert build_embedder("openai", model="m") is None
    assert [entry["event"] for entry in logs] == ["embeddings_unavailable"] * 2
    assert "aarch64" in logs[0]["reason"]


class _TinyEmbedder:
    """An 8-dim embedder under the bundled model's name, as if the model file were swapped."""

    dim = 8
    name = LocalE5Embedder.model_name()

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        return [[1.0] * self.dim for _ in texts]

    async def embed_query(self, text: str) -> list[float]:
        return [1.0] * self.dim


async def test_embedder_of_another_size_falls_back(make_index: IndexFactory, e5: Embedder) -> None:
    """A collection built for another vector size under the same model name warns and serves
    lexical search."""
    first = make_index(e5)
    await first.upsert(1, CORPUS[:4])
    if isinstance(first, EdgePostIndex):
        await first.close()
    other = make_index(_TinyEmbedder())
    with structlog.testing.capture_logs() as logs:
        await other.upsert(1, CORPUS[4:])
    assert "index_dense_mismatch" in [entry["event"] for entry in logs]
    assert ids(await other.search(1, "MacBook"))[0] == MACBOOK.point_id
    stats = await other.stats(1)
    assert stats is not None
    assert stats.points_count == len(CORPUS)


class _BrokenEmbedder(_TinyEmbedder):
    """Embeds documents but fails on queries, like an embeddings API going down."""

    async def embed_query(self, text: str) -> list[float]:
        raise ConnectionError("embeddings API is down")


async def test_search_survives_query_embedding_failure(make_index: IndexFactory) -> None:
    """When the query cannot be embedded, search falls back to BM25 with a warning."""
    index = make_index(_BrokenEmbedder())
    await index.upsert(1, CORPUS)
    with structlog.testing.capture_logs() as logs:
        hits = await index.search(1, "выборы")
    assert ids(hits) == [ELECTION.point_id]
    assert [entry["event"] for entry in logs] == ["index_query_embedding_failed"]


def test_local_model_reads_the_first_tokens_of_a_long_post() -> None:
    """A clipped passage is the text's longest word-boundary prefix within the token limit."""
    model = LocalE5Embedder(max_tokens=16)
    text = " ".join(doc.text for doc in CORPUS)
    head = model.clip(text)
    assert text.startswith(head) and text[len(head)] == " "
    assert model.count(head) <= 16 < model.count(text[: len(head) + 12])
    assert model.clip(METRO.text[:20]) == METRO.text[:20]  # short texts stay whole
    assert model.name == "multilingual-e5-small-q4@16"
    assert LocalE5Embedder.model_name(None) == "multilingual-e5-small-q4"
