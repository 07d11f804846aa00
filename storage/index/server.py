"""The post index on a Qdrant server through qdrant-client, one collection per tenant.

Behaves like the embedded EdgePostIndex: same vectors, payload, filters and fusion, and the
same background re-encoding of a collection written by an older sparse scheme. Tests run it on
qdrant-client's in-process mode (`location=":memory:"`), which implements the same API but
runs synchronously inside the event loop; production points it at a real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import structlog
from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from core.errors import IndexUnavailable
from core.ports import CollectionStats, IndexDocument, SearchFilter, SearchHit, collection_name
from storage.index.common import (
    DENSE_VECTOR,
    INDEXED_FIELDS,
    RRF_K,
    RRF_WEIGHTS,
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
from storage.index.sparse import SparseEncoder, SparseTerms, per_text

# Points re-encoded per request when a collection's sparse scheme changes.
SPARSE_BATCH = 256

log = structlog.get_logger(__name__)

_HTTP_CONFLICT = 409
# One retriever: (query vector, vector name, search params).
_Leg = tuple[list[float] | models.SparseVector, str, models.SearchParams | None]


class QdrantServerIndex:
    """`PostIndex` on a Qdrant server; collections are created on first upsert."""

    def __init__(
        self, client: AsyncQdrantClient, sparse: SparseEncoder, embedder: Embedder | None
    ) -> None:
        self._client = client
        self._sparse = sparse
        self._embedder = embedder
        self._dense_name = (
            dense_vector_name(embedder.name) if embedder is not None else DENSE_VECTOR
        )
        self._dense: dict[str, bool] = {}  # known collections: whether dense vectors are used
        # Per collection: the scheme search uses (an older one until re-encoded), and the
        # older schemes' vectors the background task drops once every point has the new one.
        self._searched: dict[str, SparseEncoder] = {}
        self._stale: dict[str, tuple[str, ...]] = {}
        self._reencoding: dict[str, asyncio.Task[None]] = {}
        self._create_lock = asyncio.Lock()

    async def stats(self, tenant_id: int) -> CollectionStats | None:
        """Points in the tenant's collection, or None when it does not exist."""
        with _reachable():
            name = await self._collection(tenant_id, create=False)
            if name is None:
                return None
            count = await self._client.count(name, exact=True)
            extra: dict[str, object] = {
                "engine": "qdrant",
                "dense": self._dense[name],
                "sparse": self._searched[name].vector_name,
                "sparse_reencoding": name in self._reencoding,
            }
            if self._dense[name]:
                has = models.Filter(must=[models.HasVectorCondition(has_vector=self._dense_name)])
                dense = await self._client.count(name, count_filter=has, exact=True)
                extra["dense_points"] = dense.count
        return CollectionStats(name=name, points_count=count.count, extra=extra)

    async def upsert(
        self,
        tenant_id: int,
        documents: Sequence[IndexDocument],
        vectors: Mapping[int, Sequence[float]] | None = None,
    ) -> None:
        """Insert or replace documents by point id (with the given dense vectors by post id);
        creates the collection on first use."""
        if not documents:
            return
        texts = [doc.text for doc in documents]
        with _reachable():
            name = await self._collection(tenant_id, create=True)
            assert name is not None  # created when missing
            dense = dense_of(documents, vectors if self._dense[name] else None)
            # Thousands of texts/s: a batch would stall the loop for a noticeable moment.
            sparse = await asyncio.to_thread(
                self._sparse.documents_for, self._searched[name], texts
            )
            # The old vector may have been dropped meanwhile: write only the live ones.
            live = {self._searched[name].vector_name, self._sparse.vector_name}
            points = [
                _point(document, terms, embedding, self._dense_name)
                for document, terms, embedding in zip(
                    documents, per_text(sparse, live), dense, strict=True
                )
            ]
            await self._client.upsert(name, points=points, wait=True)
        log.debug("index_upserted", collection=name, points=len(documents))

    async def set_vectors(
        self, tenant_id: int, vectors: Sequence[tuple[int, Sequence[float]]]
    ) -> int:
        """Give points of the tenant's collection their dense vector; points it lacks are skipped."""
        if not vectors:
            return 0
        with _reachable():
            name = await self._collection(tenant_id, create=False)
            if name is None or not self._dense[name]:
                return 0
            found = await self._client.retrieve(
                name, ids=[point for point, _ in vectors], with_payload=False, with_vectors=False
            )
            held = {point.id for point in found}
            updates = [
                models.PointVectors(id=point, vector={self._dense_name: list(vector)})
                for point, vector in vectors
                if point in held
            ]
            if updates:
                await self._client.update_vectors(name, points=updates, wait=True)
        return len(updates)

    async def delete_channel(self, tenant_id: int, channel_id: int) -> None:
        """Remove every point of one channel from one tenant's collection."""
        condition = models.FieldCondition(
            key="channel_id", match=models.MatchValue(value=channel_id)
        )
        selector = models.FilterSelector(filter=models.Filter(must=[condition]))
        await self._delete(tenant_id, selector)

    async def delete_posts(self, tenant_id: int, point_ids: Sequence[int]) -> None:
        """Remove the given points from one tenant's collection."""
        if point_ids:
            await self._delete(tenant_id, models.PointIdsList(points=list(point_ids)))

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
        with _reachable():
            name = await self._collection(tenant_id, create=False)
            if name is None:
                return []
            legs: list[_Leg] = []
            searched = self._searched[name]
            terms = searched.query(query)
            if terms:
                sparse = models.SparseVector(indices=terms.indices, values=terms.values)
                legs.append((sparse, searched.vector_name, None))
            if self._dense[name] and self._embedder is not None:
                dense = await embed_query_or_none(self._embedder, query)
                if dense is not None:
                    # Exact, as on Edge: recall matters more than the ms HNSW would save.
                    legs.append((dense, self._dense_name, models.SearchParams(exact=True)))
            if not legs:
                return []
            condition = _filter(filters)
            if len(legs) == 1:
                vector, using, params = legs[0]
                response = await self._client.query_points(
                    name,
                    query=vector,
                    using=using,
                    search_params=params,
                    query_filter=condition,
                    limit=limit,
                    with_payload=True,
                )
            else:
                prefetch = [
                    models.Prefetch(
                        query=vector,
                        using=using,
                        params=params,
                        filter=condition,
                        limit=prefetch_limit(limit),
                    )
                    for vector, using, params in legs
                ]
                response = await self._client.query_points(
                    name,
                    prefetch=prefetch,
                    query=models.RrfQuery(  # as on Edge: k=2, the dense leg heavier
                        rrf=models.Rrf(k=RRF_K, weights=list(RRF_WEIGHTS))
                    ),
                    query_filter=condition,
                    limit=limit,
                    with_payload=True,
                )
        return [
            SearchHit(point.score, from_payload(point.payload or {})) for point in response.points
        ]

    async def close(self) -> None:
        """Stop re-encoding (it resumes on next use) and close the client's connections."""
        for task in self._reencoding.values():
            task.cancel()
        await asyncio.gather(*self._reencoding.values(), return_exceptions=True)
        await self._client.close()

    async def _collection(self, tenant_id: int, *, create: bool) -> str | None:
        """The tenant's collection name once it exists (created if asked), else None."""
        name = collection_name(tenant_id)
        if name in self._dense:
            return name
        async with self._create_lock:
            if name in self._dense:
                return name
            if not await self._client.collection_exists(name):
                if not create:
                    return None
                await self._create(name)
            dense = await self._dense_ready(name)
            await self._sparse_ready(name)
            self._dense[name] = dense  # last: a known collection is fully set up
        return name

    async def _create(self, name: str) -> None:
        vectors: dict[str, models.VectorParams] = {}
        if self._embedder is not None:
            vectors[self._dense_name] = models.VectorParams(
                size=self._embedder.dim, distance=models.Distance.COSINE
            )
        sparse = {self._sparse.vector_name: models.SparseVectorParams(modifier=models.Modifier.IDF)}
        try:
            await self._client.create_collection(
                name, vectors_config=vectors, sparse_vectors_config=sparse
            )
        except UnexpectedResponse as exc:
            if exc.status_code != _HTTP_CONFLICT:  # another process created it first
                raise
            return
        for key in INDEXED_FIELDS:
            await self._client.create_payload_index(
                name, field_name=key, field_schema=models.PayloadSchemaType.INTEGER
            )
        log.info("index_collection_created", collection=name, dense=bool(vectors))

    async def _dense_ready(self, name: str) -> bool:
        """Whether the collection can take the embedder's vectors, adding them when it has none."""
        if self._embedder is None:
            return False
        dim = self._embedder.dim
        info = await self._client.get_collection(name)
        vectors = info.config.params.vectors
        params = vectors.get(self._dense_name) if isinstance(vectors, dict) else None
        if params is not None and params.size == dim:
            return True
        if params is None:
            # Made while embeddings were off or for another model: the embed job fills it.
            config = models.DenseVectorConfig(size=dim, distance=models.Distance.COSINE)
            try:
                await self._client.create_vector_name(
                    name, self._dense_name, models.DenseVectorNameConfig(dense=config)
                )
            except UnexpectedResponse as exc:  # servers before named-vector creation
                log.warning("index_dense_unavailable", collection=name, error=str(exc))
                return False
            log.warning("index_dense_added", collection=name, dim=dim)
            return True
        log.warning(
            "index_dense_mismatch",
            collection=name,
            found=params.size,
            expected=dim,
            fallback="lexical search for this tenant; delete the collection and re-index",
        )
        return False

    async def _sparse_ready(self, name: str) -> None:
        """Which scheme search uses on the collection; when it was written by an older one, add
        the current scheme's vector and re-encode the points in the background."""
        current = self._sparse.vector_name
        info = await self._client.get_collection(name)
        names = list(info.config.params.sparse_vectors or {})
        stale = tuple(other for other in names if other != current)
        self._searched[name] = self._sparse
        if current in names and not stale:
            return
        if current not in names:
            config = models.SparseVectorConfig(modifier=models.Modifier.IDF)
            await self._client.create_vector_name(
                name, current, models.SparseVectorNameConfig(sparse=config)
            )
        self._searched[name] = self._sparse.searched_until_reencoded(stale)
        self._stale[name] = stale
        log.warning(
            "index_sparse_scheme_changed",
            collection=name,
            found=list(stale),
            vector=current,
            searching=self._searched[name].vector_name,
            action="re-encoding the posts' sparse vectors in the background",
        )
        self._reencoding[name] = asyncio.create_task(self._reencode(name))

    async def _reencode(self, name: str) -> None:
        """Give every point the current scheme's sparse vector from its stored text, a batch at
        a time; then drop the old vectors and search the new one."""
        current = self._sparse.vector_name
        lacking = models.Filter(must_not=[models.HasVectorCondition(has_vector=current)])
        done = 0
        try:
            while True:
                batch, _ = await self._client.scroll(
                    name, scroll_filter=lacking, limit=SPARSE_BATCH, with_payload=["text"]
                )
                if not batch:
                    break
                texts = {point.id: str((point.payload or {}).get("text", "")) for point in batch}
                encoded = await asyncio.to_thread(self._sparse.documents, list(texts.values()))
                terms = dict(zip(texts, encoded, strict=True))
                # A point rewritten or deleted meanwhile already has the right vector or none.
                found = await self._client.retrieve(name, ids=list(texts), with_payload=["text"])
                updates = [
                    models.PointVectors(
                        id=point.id,
                        vector={
                            current: models.SparseVector(
                                indices=terms[point.id].indices, values=terms[point.id].values
                            )
                        },
                    )
                    for point in found
                    if (point.payload or {}).get("text", "") == texts[point.id]
                ]
                if updates:
                    await self._client.update_vectors(name, points=updates, wait=True)
                done += len(batch)
            self._searched[name] = self._sparse
            for stale in self._stale.pop(name, ()):
                await self._client.delete_vector_name(name, stale)
        except asyncio.CancelledError:
            log.info("index_sparse_reencode_paused", collection=name, points=done)
            self._dense.pop(name, None)  # looked at again (and resumed) on next use
            raise
        except Exception:
            log.exception("index_sparse_reencode_failed", collection=name, points=done)
            self._dense.pop(name, None)
            return
        finally:
            self._reencoding.pop(name, None)
        log.info("index_sparse_reencoded", collection=name, points=done, vector=current)

    async def _delete(self, tenant_id: int, selector: models.PointsSelector) -> None:
        with _reachable():
            name = await self._collection(tenant_id, create=False)
            if name is not None:
                await self._client.delete(name, points_selector=selector, wait=True)


@contextmanager
def _reachable() -> Iterator[None]:
    """Report a server that cannot be reached as IndexUnavailable."""
    try:
        yield
    except ResponseHandlingException as exc:
        raise IndexUnavailable(f"the Qdrant server cannot be reached: {exc}") from exc


def _point(
    document: IndexDocument,
    sparse: Mapping[str, SparseTerms],
    embedding: list[float] | None,
    dense_name: str,
) -> models.PointStruct:
    vector: dict[str, models.Vector] = {
        name: models.SparseVector(indices=terms.indices, values=terms.values)
        for name, terms in sparse.items()
    }
    if embedding is not None:
        vector[dense_name] = embedding
    return models.PointStruct(id=document.point_id, vector=vector, payload=to_payload(document))


def _filter(filters: SearchFilter | None) -> models.Filter | None:
    if filters is None:
        return None
    must: list[models.Condition] = []
    if filters.channel_ids is not None:
        channels = [int(channel) for channel in filters.channel_ids]
        must.append(models.FieldCondition(key="channel_id", match=models.MatchAny(any=channels)))
    since, until = date_bounds(filters)
    if since is not None or until is not None:
        must.append(models.FieldCondition(key="date", range=models.Range(gte=since, lt=until)))
    return models.Filter(must=must) if must else None
