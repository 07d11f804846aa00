"""Moving stored posts into each tenant's search index, in batches, off the hot path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from core.embedding.models import text_hash
from core.ingest.ports import IndexingUnitOfWork
from core.ports import IndexDocument, PendingPost, PostIndex, UnitOfWorkFactory

log = structlog.get_logger(__name__)

Progress = Callable[[int], None]


class Indexer:
    """Indexes whatever posts a tenant's collection lacks; idempotent and restartable.

    Posts go in lexically at once, with the dense vectors of `model` that the embed job already
    stored for them (computed once per post, whatever chats follow it); the rest get theirs
    from the embed job later.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[IndexingUnitOfWork],
        index: PostIndex,
        batch_size: int = 256,
        *,
        model: str | None = None,
    ):
        self._uow_factory = uow_factory
        self._index = index
        self._batch_size = batch_size
        self._model = model

    async def pending(self, tenant_id: int) -> int:
        """How many posts wait to be indexed for a tenant."""
        async with self._uow_factory() as uow:
            return await uow.posts.pending_count(tenant_id)

    async def index_tenant(self, tenant_id: int, progress: Progress | None = None) -> int:
        """Purge the points of channels the tenant left, then index every pending post.

        No transaction stays open while the index works. Before a batch is marked indexed the
        tenant's subscriptions are read again under its lock: posts of a channel unsubscribed
        meanwhile are not marked, and their channel is purged from the index instead.
        On an index failure the batch is marked with the error and stays pending (a later run
        retries it), and the error is raised.
        """
        await self.purge(tenant_id)
        done = 0
        while True:
            async with self._uow_factory() as uow:
                batch = await uow.posts.pending_for_index(tenant_id, self._batch_size)
                documents = [item.document for item in batch]
                vectors = await self._stored_vectors(uow, documents)
            if not batch:
                return done
            try:
                await self._index.upsert(tenant_id, documents, vectors)
            except Exception as error:
                log.warning(
                    "index_batch_failed", tenant_id=tenant_id, posts=len(batch), error=str(error)
                )
                async with self._uow_factory() as uow:
                    await uow.posts.mark_index_error(
                        tenant_id, [item.document.post_id for item in batch], str(error)
                    )
                    await uow.commit()
                raise
            left = await self._mark_indexed(tenant_id, batch)
            if left:
                await self.purge(tenant_id)
            await self._late_vectors(tenant_id, [d for d in documents if d.post_id not in vectors])
            done += len(batch)
            if progress is not None:
                progress(len(batch))

    async def _stored_vectors(
        self, uow: IndexingUnitOfWork, documents: list[IndexDocument]
    ) -> dict[int, list[float]]:
        """Stored vectors (by post id) that match the documents' current text."""
        if self._model is None or not documents:
            return {}
        stored = await uow.embeddings.stored(self._model, [doc.post_id for doc in documents])
        vectors = {}
        for document in documents:
            known = stored.get(document.post_id)
            fresh = known is not None and known.text_hash == text_hash(document.text)
            if fresh and known is not None and known.vector is not None:
                vectors[document.post_id] = known.vector
        return vectors

    async def _late_vectors(self, tenant_id: int, documents: list[IndexDocument]) -> None:
        """Vectors the embed job stored while this batch was written: it did not see the
        points yet, so they are set here."""
        if self._model is None or not documents:
            return
        async with self._uow_factory() as uow:
            vectors = await self._stored_vectors(uow, documents)
        if vectors:
            pairs = [(d.point_id, vectors[d.post_id]) for d in documents if d.post_id in vectors]
            await self._index.set_vectors(tenant_id, pairs)

    async def _mark_indexed(self, tenant_id: int, batch: list[PendingPost]) -> set[int]:
        """Mark the batch's posts of followed channels; returns the channels left meanwhile."""
        async with self._uow_factory() as uow:
            await uow.tenants.lock(tenant_id)
            followed = await uow.channels.subscribed_channel_ids(tenant_id)
            left = {item.document.channel_id for item in batch} - followed
            await uow.posts.mark_indexed(
                tenant_id,
                {
                    item.document.post_id: item.version
                    for item in batch
                    if item.document.channel_id in followed
                },
            )
            for channel_id in left:
                await uow.posts.add_index_purge(tenant_id, channel_id)
            await uow.commit()
        if left:
            log.info("index_batch_channels_left", tenant_id=tenant_id, channels=sorted(left))
        return left

    async def purge(self, tenant_id: int) -> int:
        """Remove from the tenant's index the channels recorded for purging; returns how many."""
        async with self._uow_factory() as uow:
            channels = await uow.posts.index_purges(tenant_id)
        for channel_id in channels:
            await self._index.delete_channel(tenant_id, channel_id)
            async with self._uow_factory() as uow:
                await uow.posts.drop_index_purge(tenant_id, channel_id)
                await uow.commit()
        return len(channels)

    async def index_all(self) -> IndexRun:
        """Index pending posts of every tenant; one tenant's failure never stops the others."""
        async with self._uow_factory() as uow:
            tenants = await uow.posts.tenants_with_pending()
        run = IndexRun()
        for tenant_id in tenants:
            try:
                run.indexed += await self.index_tenant(tenant_id)
            except Exception as error:  # stays pending (marked with the error); next run retries
                log.warning("tenant_indexing_failed", tenant_id=tenant_id, error=str(error))
                run.failed_tenants.append(tenant_id)
        if run.failed_tenants:
            log.warning("index_run_failures", failed=len(run.failed_tenants), tenants=len(tenants))
        return run


@dataclass(slots=True)
class IndexRun:
    """What one indexing pass over every tenant did."""

    indexed: int = 0
    failed_tenants: list[int] = field(default_factory=list)


class BackgroundIndexer:
    """Runs indexing in one background task, woken whenever new posts arrive."""

    def __init__(self, indexer: Indexer) -> None:
        self._indexer = indexer
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._running = asyncio.Lock()  # one drain at a time; a second caller waits for it
        self._task: asyncio.Task[None] | None = None

    def kick(self, *tenant_ids: int) -> None:
        """Ask for these tenants to be indexed soon (coalesced; never blocks)."""
        self._dirty.update(tenant_ids)
        self._wake.set()

    def start(self) -> None:
        """Start the background task (inside a running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="background-indexer")

    async def stop(self) -> None:
        """Stop the background task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> None:
        """Index every dirty tenant now; returns once any indexing already under way is done."""
        async with self._running:
            while self._dirty:
                tenant_id = self._dirty.pop()
                try:
                    indexed = await self._indexer.index_tenant(tenant_id)
                    log.info("tenant_indexed", tenant_id=tenant_id, posts=indexed)
                except Exception as error:  # stays pending; the index-pending job retries
                    log.warning("tenant_indexing_failed", tenant_id=tenant_id, error=str(error))

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.drain()
