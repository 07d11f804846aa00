"""Moving stored posts into each tenant's search index, in batches, off the hot path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import structlog

from core.ingest.ports import IndexingUnitOfWork
from core.ports import PostIndex, UnitOfWorkFactory

log = structlog.get_logger(__name__)

Progress = Callable[[int], None]


class Indexer:
    """Indexes whatever posts a tenant's collection lacks; idempotent and restartable."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[IndexingUnitOfWork],
        index: PostIndex,
        batch_size: int = 256,
    ):
        self._uow_factory = uow_factory
        self._index = index
        self._batch_size = batch_size

    async def pending(self, tenant_id: int) -> int:
        """How many posts wait to be indexed for a tenant."""
        async with self._uow_factory() as uow:
            return await uow.posts.pending_count(tenant_id)

    async def index_tenant(self, tenant_id: int, progress: Progress | None = None) -> int:
        """Index every pending post of a tenant.

        On an index failure the batch is marked with the error and stays pending (a later run
        retries it), and the error is raised.
        """
        done = 0
        while True:
            async with self._uow_factory() as uow:
                batch = await uow.posts.pending_for_index(tenant_id, self._batch_size)
                if not batch:
                    return done
                try:
                    await self._index.upsert(tenant_id, [item.document for item in batch])
                except Exception as error:
                    log.warning(
                        "index_batch_failed",
                        tenant_id=tenant_id,
                        posts=len(batch),
                        error=str(error),
                    )
                    await uow.posts.mark_index_error(
                        tenant_id, [item.document.post_id for item in batch], str(error)
                    )
                    await uow.commit()
                    raise
                await uow.posts.mark_indexed(
                    tenant_id, {item.document.post_id: item.version for item in batch}
                )
                await uow.commit()
            done += len(batch)
            if progress is not None:
                progress(len(batch))

    async def index_all(self) -> int:
        """Index pending posts of every tenant."""
        async with self._uow_factory() as uow:
            tenants = await uow.posts.tenants_with_pending()
        total = 0
        for tenant_id in tenants:
            total += await self.index_tenant(tenant_id)
        return total


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
