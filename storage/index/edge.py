"""The embedded post index: qdrant-edge (the Qdrant engine in-process), one shard per tenant.

qdrant-edge is synchronous, so every call runs on a small private thread pool and never on
the event loop; a lock per shard keeps one operation at a time on each shard (taken inside
the worker, so a cancelled caller cannot let a second operation in while the first runs).

A shard whose sparse vectors were written by another scheme than the encoder's (an older
release) gets the current scheme's vector beside the old one when it opens; one background
thread re-encodes its points from their stored text in small batches while search goes on
with the old vector, then drops the old vector and searches the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import structlog
from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    Fusion,
    HasVectorCondition,
    IntegerIndexParams,
    MatchAny,
    MatchValue,
    Modifier,
    Point,
    PointVectors,
    Prefetch,
    Query,
    QueryRequest,
    RangeFloat,
    ScrollRequest,
    SearchParams,
    SparseVector,
    UpdateOperation,
)

from core.errors import IndexUnavailable
from core.ports import CollectionStats, IndexDocument, SearchFilter, SearchHit, collection_name
from storage.index.common import (
    DEFAULT_RANKING,
    DENSE_VECTOR,
    INDEXED_FIELDS,
    Ranking,
    date_bounds,
    dense_of,
    dense_vector_name,
    embed_query_or_none,
    from_payload,
    matches_nothing,
    prefetch_limit,
    to_payload,
)
from storage.index.embeddings import Embedder
from storage.index.sparse import LEGACY_VECTOR, SparseEncoder, SparseTerms, per_text

log = structlog.get_logger(__name__)

T = TypeVar("T")


# Payload indexes: channels are only matched and dates only ranged, so each field gets the one
# index it needs; a plain Integer index builds both (a map and a range index), and every open
# shard keeps each of them mapped: about 8 MiB per open shard instead of 14.
_FIELD_INDEXES = {
    "channel_id": IntegerIndexParams(lookup=True, range=False),
    "date": IntegerIndexParams(lookup=False, range=True),
}
# Points re-encoded per step when a shard's sparse scheme changes: the shard is locked only
# to read and to write them, so searches on it wait a few milliseconds at most.
SPARSE_BATCH = 128


@dataclass(eq=False)
class _Shard:
    name: str
    path: Path
    shard: EdgeShard
    dense: bool  # dense vectors are written and searched
    searched: SparseEncoder  # the scheme whose vector search uses: an older one until re-encoded
    stale: tuple[str, ...] = ()  # sparse vectors of older schemes, dropped once re-encoded
    reencoding: bool = False  # points may lack the current scheme's vector
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    evicted: bool = False  # closed to bound memory and open files; reopened on next use
    last_used: float = field(default_factory=time.monotonic)
    users: int = 0  # operations between open and done: such a shard is never evicted


class EdgePostIndex:
    """`PostIndex` on qdrant-edge shards under `root/t{tenant_id}_posts`, opened lazily and cached.

    A shard can be open in one process only (its WAL is locked): a second process gets
    IndexUnavailable instead of a traceback. At most `max_open` shards stay open (least
    recently used closed first) and shards idle for `idle_seconds` are closed, so memory and
    open files do not grow with the number of tenants.
    """

    def __init__(
        self,
        root: Path,
        sparse: SparseEncoder,
        embedder: Embedder | None,
        *,
        workers: int = 4,
        max_open: int = 64,
        idle_seconds: float = 600.0,
        ranking: Ranking = DEFAULT_RANKING,
    ) -> None:
        self._root = root
        self._ranking = ranking
        self._sparse = sparse
        self._embedder = embedder
        # One named vector per model: a model change fills a new one while search goes on.
        self._dense_name = (
            dense_vector_name(embedder.name) if embedder is not None else DENSE_VECTOR
        )
        self._shards: OrderedDict[int, _Shard] = OrderedDict()  # least recently used first
        self._max_open = max(1, max_open)
        self._idle_seconds = idle_seconds
        self._open_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qdrant-edge")
        # One thread re-encodes shards of an older sparse scheme, one shard after another.
        self._reencoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qdrant-sparse")
        self._closed = False

    async def stats(self, tenant_id: int) -> CollectionStats | None:
        """Points in the tenant's shard, or None when it was never created."""
        async with self._using(tenant_id, create=False) as shard:
            if shard is None:
                return None
            count = await self._call(self._count, shard)
            extra: dict[str, object] = {
                "engine": "qdrant-edge",
                "dense": shard.dense,
                "path": str(shard.path),
                "sparse": shard.searched.vector_name,
                "sparse_reencoding": shard.reencoding,
            }
            if shard.dense:
                extra["dense_points"] = await self._call(self._count, shard, self._dense_name)
        return CollectionStats(name=shard.name, points_count=count, extra=extra)

    async def upsert(
        self,
        tenant_id: int,
        documents: Sequence[IndexDocument],
        vectors: Mapping[int, Sequence[float]] | None = None,
    ) -> None:
        """Insert or replace documents by point id (with the given dense vectors by post id);
        creates the shard on first use."""
        if not documents:
            return
        async with self._using(tenant_id, create=True) as shard:
            assert shard is not None  # created when missing
            dense = dense_of(documents, vectors if shard.dense else None)
            await self._call(self._write, shard, documents, dense)
        log.debug("index_upserted", collection=shard.name, points=len(documents))

    async def set_vectors(
        self, tenant_id: int, vectors: Sequence[tuple[int, Sequence[float]]]
    ) -> int:
        """Give points of the tenant's shard their dense vector; points it lacks are skipped."""
        if not vectors:
            return 0
        async with self._using(tenant_id, create=False) as shard:
            if shard is None or not shard.dense:
                return 0
            return await self._call(self._set_vectors, shard, vectors)

    async def delete_channel(self, tenant_id: int, channel_id: int) -> None:
        """Remove every point of one channel from one tenant's shard."""
        condition = FieldCondition("channel_id", match=MatchValue(channel_id))
        await self._update(tenant_id, UpdateOperation.delete_points_by_filter(Filter([condition])))

    async def delete_posts(self, tenant_id: int, point_ids: Sequence[int]) -> None:
        """Remove the given points from one tenant's shard."""
        if point_ids:
            await self._update(tenant_id, UpdateOperation.delete_points(list(point_ids)))

    async def search(
        self,
        tenant_id: int,
        query: str,
        *,
        limit: int = 10,
        filters: SearchFilter | None = None,
    ) -> list[SearchHit]:
        """BM25 (and dense, with an embedder) exact search fused by RRF, best first."""
        if limit <= 0 or matches_nothing(filters):
            return []
        async with self._using(tenant_id, create=False) as shard:
            if shard is None:
                return []
            dense: list[float] | None = None
            if shard.dense and self._embedder is not None and self._ranking.legs != "lexical":
                dense = await embed_query_or_none(self._embedder, query)
            return await self._call(self._query, shard, query, dense, limit, filters)

    async def close(self) -> None:
        """Flush and close every shard, then stop the worker threads."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_all)
        self._executor.shutdown(wait=False)
        self._reencoder.shutdown(wait=False, cancel_futures=True)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking function on the index's worker threads."""
        if self._closed:
            raise IndexUnavailable("the post index is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    async def _update(self, tenant_id: int, operation: UpdateOperation) -> None:
        async with self._using(tenant_id, create=False) as shard:
            if shard is not None:
                await self._call(_apply, shard, operation)

    @contextlib.asynccontextmanager
    async def _using(self, tenant_id: int, *, create: bool) -> AsyncIterator[_Shard | None]:
        """The tenant's shard, opened if needed and kept open (not evicted) until done."""
        shard = await self._call(self._open, tenant_id, create)
        try:
            yield shard
        finally:
            if shard is not None:
                with self._open_lock:
                    shard.users -= 1

    @property
    def open_shards(self) -> int:
        """How many shards are open now."""
        return len(self._shards)

    # -- the methods below block: they run on the worker threads -------------------------

    def _open(self, tenant_id: int, create: bool) -> _Shard | None:
        with self._open_lock:
            if self._closed:
                raise IndexUnavailable("the post index is closed")
            cached = self._shards.get(tenant_id)
            if cached is not None:
                cached.last_used = time.monotonic()
                cached.users += 1
                self._shards.move_to_end(tenant_id)
                return cached
            name = collection_name(tenant_id)
            path = self._root / name
            if path.exists():
                shard = _load(name, path)
            elif create:
                shard = self._create(name, path)
            else:
                return None
            try:
                _upgrade_field_indexes(name, shard)
                dense = self._dense_ready(name, shard)
                searched, stale, reencoding = self._sparse_ready(name, path, shard)
            except Exception:
                shard.close()  # an uncached open shard would lock us out of it
                raise
            opened = _Shard(name, path, shard, dense=dense, searched=searched, users=1)
            opened.stale, opened.reencoding = stale, reencoding
            self._shards[tenant_id] = opened
            log.info(
                "index_shard_opened",
                collection=name,
                path=str(path),
                dense=opened.dense,
                sparse=searched.vector_name,
            )
            if opened.reencoding:
                self._reencoder.submit(self._reencode, opened)
            self._evict()
            return opened

    def _evict(self) -> None:
        """Close shards idle too long, then the least recently used beyond the cap (the
        newest, just opened, stays). Called with the open lock held."""
        now = time.monotonic()
        for tenant_id, shard in list(self._shards.items())[:-1]:
            if shard.users > 0:
                continue  # in use: the cap may be passed until it is done
            if len(self._shards) > self._max_open or now - shard.last_used >= self._idle_seconds:
                del self._shards[tenant_id]
                with shard.lock:  # waits for an operation in progress on it
                    shard.evicted = True
                    shard.shard.flush()
                    shard.shard.close()
                log.debug("index_shard_closed", collection=shard.name, open=len(self._shards))

    def _create(self, name: str, path: Path) -> EdgeShard:
        vectors = None
        if self._embedder is not None:
            params = EdgeVectorParams(size=self._embedder.dim, distance=Distance.Cosine)
            vectors = {self._dense_name: params}
        sparse = {self._sparse.vector_name: EdgeSparseVectorParams(modifier=Modifier.Idf)}
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            shard = EdgeShard.create(str(path), EdgeConfig(vectors=vectors, sparse_vectors=sparse))
            for key in INDEXED_FIELDS:
                shard.update(UpdateOperation.create_field_index(key, _FIELD_INDEXES[key]))
        except Exception as exc:
            # A half-made directory would be taken for a shard next time.
            shutil.rmtree(path, ignore_errors=True)
            raise IndexUnavailable(f"index {name} cannot be created at {path}: {exc}") from exc
        log.info("index_shard_created", collection=name, dense=vectors is not None)
        return shard

    def _dense_ready(self, name: str, shard: EdgeShard) -> bool:
        """Whether this shard can take the embedder's vectors, adding them when it has none."""
        if self._embedder is None:
            return False
        dim = self._embedder.dim
        try:
            # Cheapest way to learn the shard's dense config through the public API.
            shard.query(
                QueryRequest(limit=1, query=Query.Nearest([0.0] * dim, using=self._dense_name))
            )
        except Exception as exc:
            if "Not existing vector name" not in str(exc):
                log.warning(
                    "index_dense_mismatch",
                    collection=name,
                    error=str(exc),
                    fallback="lexical search for this tenant; delete the shard and re-index",
                )
                return False
            # Made while embeddings were off or for another model: the embed job fills it.
            shard.update(
                UpdateOperation.create_dense_vector(self._dense_name, dim, Distance.Cosine)
            )
            log.warning("index_dense_added", collection=name, dim=dim, vector=self._dense_name)
        return True

    def _sparse_ready(
        self, name: str, path: Path, shard: EdgeShard
    ) -> tuple[SparseEncoder, tuple[str, ...], bool]:
        """The scheme search uses on this shard, the older schemes' vectors, and whether points
        need re-encoding; adds the current scheme's vector when the shard has none (made by an
        older release)."""
        current = self._sparse.vector_name
        names = _sparse_names(path, shard, current)
        stale = tuple(other for other in names if other != current)
        if current in names and not stale:
            return self._sparse, (), False
        if current not in names:
            shard.update(UpdateOperation.create_sparse_vector(current, Modifier.Idf))
            if not stale:  # no sparse vector at all: search the new one while it fills
                return self._sparse, (), True
        # Search the old vector (with its own query encoding) until every point has the new one.
        searched = self._sparse.searched_until_reencoded(stale)
        log.warning(
            "index_sparse_scheme_changed",
            collection=name,
            found=list(stale),
            vector=current,
            searching=searched.vector_name,
            action="re-encoding the posts' sparse vectors in the background",
        )
        return searched, stale, True

    def _reencode(self, shard: _Shard) -> None:
        """Give every point of the shard the current scheme's sparse vector, from its stored
        text, a batch at a time; then drop the old vectors and search the new one. Stops when
        the shard closes (it resumes from the points still lacking the vector next time)."""
        current = self._sparse.vector_name
        lacking = Filter(must_not=[HasVectorCondition(current)])
        started, done = time.monotonic(), 0
        try:
            while True:
                with _locked(shard):
                    batch, _ = shard.shard.scroll(
                        ScrollRequest(limit=SPARSE_BATCH, filter=lacking, with_payload=["text"])
                    )
                    if not batch:
                        for name in shard.stale:
                            shard.shard.update(UpdateOperation.delete_vector_name(name))
                        shard.searched, shard.stale, shard.reencoding = self._sparse, (), False
                        break
                texts = {point.id: str((point.payload or {}).get("text", "")) for point in batch}
                terms = dict(zip(texts, self._sparse.documents(list(texts.values())), strict=True))
                with _locked(shard):
                    # A point rewritten or deleted meanwhile already has the right vector or none.
                    unchanged = [
                        point.id
                        for point in shard.shard.retrieve(list(texts), ["text"], False)
                        if (point.payload or {}).get("text", "") == texts[point.id]
                    ]
                    if unchanged:
                        updates = [
                            PointVectors(point, {current: _sparse_vector(terms[point])})
                            for point in unchanged
                        ]
                        shard.shard.update(UpdateOperation.update_vectors(updates))
                done += len(batch)
                time.sleep(0.001)  # let operations waiting for the shard take the lock
        except IndexUnavailable:
            log.info("index_sparse_reencode_paused", collection=shard.name, points=done)
            return
        except Exception:
            log.exception("index_sparse_reencode_failed", collection=shard.name, points=done)
            return
        log.info(
            "index_sparse_reencoded",
            collection=shard.name,
            points=done,
            vector=current,
            seconds=round(time.monotonic() - started, 2),
        )

    def _write(
        self,
        shard: _Shard,
        documents: Sequence[IndexDocument],
        dense: Sequence[list[float] | None],
    ) -> None:
        sparse = self._sparse.documents_for(shard.searched, [doc.text for doc in documents])
        with _locked(shard):
            live = {shard.searched.vector_name, self._sparse.vector_name}  # one may be dropped
            points = [
                _point(document, terms, embedding, self._dense_name)
                for document, terms, embedding in zip(
                    documents, per_text(sparse, live), dense, strict=True
                )
            ]
            shard.shard.update(UpdateOperation.upsert_points(points))

    def _count(self, shard: _Shard, vector: str | None = None) -> int:
        """Points of the shard, or those having the named vector."""
        condition = Filter(must=[HasVectorCondition(vector)]) if vector else None
        with _locked(shard):
            return shard.shard.count(CountRequest(exact=True, filter=condition))

    def _set_vectors(self, shard: _Shard, vectors: Sequence[tuple[int, Sequence[float]]]) -> int:
        updates = [
            PointVectors(point, {self._dense_name: list(vector)}) for point, vector in vectors
        ]
        with _locked(shard):
            try:
                shard.shard.update(UpdateOperation.update_vectors(updates))
                return len(updates)
            except Exception as exc:
                if "No point with id" not in str(exc):
                    raise
            held = 0  # a point was deleted meanwhile (unsubscribed): set the others one by one
            for update in updates:
                try:
                    shard.shard.update(UpdateOperation.update_vectors([update]))
                    held += 1
                except Exception as exc:
                    if "No point with id" not in str(exc):
                        raise
            return held

    def _query(
        self,
        shard: _Shard,
        text: str,
        dense: list[float] | None,
        limit: int,
        filters: SearchFilter | None,
    ) -> list[SearchHit]:
        condition = _filter(filters)

        def build(searched: SparseEncoder) -> QueryRequest | None:
            return _request(
                searched, text, dense, self._dense_name, limit, condition, self._ranking
            )

        searched = shard.searched
        request = build(searched)  # encoded before taking the lock
        with _locked(shard):
            if shard.searched is not searched:  # re-encoding finished meanwhile
                request = build(shard.searched)
            if request is None:
                return []
            points = shard.shard.query(request)
        return [SearchHit(point.score, from_payload(point.payload or {})) for point in points]

    def _close_all(self) -> None:
        with self._open_lock:
            for shard in self._shards.values():
                with shard.lock:
                    shard.closed = True
                    shard.shard.flush()
                    shard.shard.close()
            log.info("index_closed", shards=len(self._shards))
            self._shards.clear()


def _upgrade_field_indexes(name: str, shard: EdgeShard) -> None:
    """Give a shard made before `_FIELD_INDEXES` (or interrupted while upgrading) those indexes.

    Rebuilding one payload index takes milliseconds even for tens of thousands of points;
    deleting first, then creating, is safe to interrupt: a missing index is created next time.
    """
    schema = shard.info().payload_schema
    for key, params in _FIELD_INDEXES.items():
        present = schema.get(key)
        if present is not None and present.params is not None:
            continue
        if present is not None:
            shard.update(UpdateOperation.delete_field_index(key))
        shard.update(UpdateOperation.create_field_index(key, params))
        log.info("index_field_index_upgraded", collection=name, field=key)


def _load(name: str, path: Path) -> EdgeShard:
    try:
        return EdgeShard.load(str(path))
    except Exception as exc:
        message = str(exc)
        if "WouldBlock" in message or "temporarily unavailable" in message:  # WAL lock held
            raise IndexUnavailable(
                f"index {name} is in use by another tgassist process (is the bot running?)"
            ) from exc
        raise IndexUnavailable(f"index {name} at {path} cannot be opened: {message}") from exc


@contextmanager
def _locked(shard: _Shard) -> Iterator[None]:
    with shard.lock:
        if shard.closed or shard.evicted:
            raise IndexUnavailable("the post index is closed")
        yield


def _apply(shard: _Shard, operation: UpdateOperation) -> None:
    with _locked(shard):
        shard.shard.update(operation)


def _sparse_names(path: Path, shard: EdgeShard, current: str) -> list[str]:
    """The shard's sparse vector names, from the config qdrant-edge keeps beside the shard (the
    0.9 API has no call for it); without that file, whichever of the current and the first
    scheme's vectors a query finds."""
    try:
        config = json.loads((path / "edge_config.json").read_text(encoding="utf-8"))
        return list(config["sparse_vectors"])
    except (OSError, ValueError, KeyError, TypeError):
        found = []
        for name in dict.fromkeys([current, LEGACY_VECTOR]):
            try:
                shard.query(
                    QueryRequest(limit=1, query=Query.Nearest(SparseVector([0], [1.0]), using=name))
                )
            except Exception as exc:
                if "Not existing vector name" not in str(exc):
                    raise
            else:
                found.append(name)
        return found


def _sparse_vector(terms: SparseTerms) -> SparseVector:
    return SparseVector(terms.indices, terms.values)


def _point(
    document: IndexDocument,
    sparse: Mapping[str, SparseTerms],
    embedding: list[float] | None,
    dense_name: str,
) -> Point:
    vector: dict[str, Any] = {name: _sparse_vector(terms) for name, terms in sparse.items()}
    if embedding is not None:
        vector[dense_name] = embedding
    return Point(document.point_id, vector, to_payload(document))


def _filter(filters: SearchFilter | None) -> Filter | None:
    if filters is None:
        return None
    must: list[Any] = []
    if filters.channel_ids is not None:
        must.append(
            FieldCondition("channel_id", match=MatchAny([int(c) for c in filters.channel_ids]))
        )
    since, until = date_bounds(filters)
    if since is not None or until is not None:
        must.append(FieldCondition("date", range=RangeFloat(gte=since, lt=until)))
    return Filter(must=must) if must else None


def _request(
    sparse: SparseEncoder,
    text: str,
    dense: list[float] | None,
    dense_name: str,
    limit: int,
    condition: Filter | None,
    ranking: Ranking,
) -> QueryRequest | None:
    """Query one retriever directly, or fuse sparse and dense candidates (RRF by default)."""
    legs: list[tuple[Query, SearchParams | None]] = []
    terms = sparse.query(text) if ranking.legs != "dense" else None
    if terms:
        legs.append((Query.Nearest(_sparse_vector(terms), using=sparse.vector_name), None))
    if dense is not None:
        # Exact: HNSW recall is poor on this data at default ef; a full scan of tens of
        # thousands of 384-dim vectors takes a few milliseconds.
        legs.append((Query.Nearest(dense, using=dense_name), SearchParams(exact=True)))
    if not legs:
        return None
    if len(legs) == 1:
        query, params = legs[0]
        return QueryRequest(limit, query=query, filter=condition, params=params, with_payload=True)
    prefetches = [
        Prefetch(prefetch_limit(limit), query=query, params=params, filter=condition)
        for query, params in legs
    ]
    fusion: Any = (  # the stub types Fusion's variants apart from Fusion
        Fusion.Dbsf()
        if ranking.fusion == "dbsf"
        else Fusion.Rrf(k=ranking.rrf_k, weights=list(ranking.rrf_weights))
    )
    return QueryRequest(
        limit,
        query=fusion,
        prefetches=prefetches,
        filter=condition,
        with_payload=True,
    )
