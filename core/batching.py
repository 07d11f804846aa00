"""Writes that can wait, off the answer path: items queue up and are stored in batches.

The question log and users' last contact go this way. A bounded queue (a full queue makes `submit` wait: backpressure, never silent loss) drained by
one background task, one transaction per batch (a batch gathers for up to 0.2 s). `close()` stores everything still queued, so a
clean stop loses nothing; a crash loses at most what was queued and not yet committed (one
batch, plus whatever arrived during it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")


class BatchWriter(Generic[T]):
    """Stores items in batches from a background task with `store(batch)`."""

    def __init__(
        self,
        store: Callable[[list[T]], Awaitable[None]],
        *,
        name: str,
        max_queue: int = 10_000,
        max_batch: int = 500,
        linger_seconds: float = 0.2,
    ) -> None:
        self._store_batch = store
        self._name = name
        self._queue: asyncio.Queue[T] = asyncio.Queue(max(1, max_queue))
        self._max_batch = max(1, max_batch)
        self._linger = linger_seconds
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, item: T) -> None:
        """Queue an item (waits only while the queue is full); stored directly once closed."""
        if self._closed:
            await self._store([item])
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"{self._name}-writer")
        await self._queue.put(item)

    async def flush(self) -> None:
        """Wait until every item queued so far is stored (readers of what it writes call this)."""
        if self._task is not None and not self._task.done():
            await self._queue.join()

    async def close(self) -> None:
        """Store what is queued and stop the background task."""
        self._closed = True
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        leftover = self._take(self._queue.qsize())  # queued after the task stopped
        if leftover:
            await self._store(leftover)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._linger > 0 and not self._closed:  # let a batch gather: one commit for many
                await asyncio.sleep(self._linger)
            batch += self._take(self._max_batch - 1)
            try:
                await self._store(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _take(self, count: int) -> list[T]:
        taken: list[T] = []
        while len(taken) < count and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    async def _store(self, batch: list[T]) -> None:
        try:
            await self._store_batch(batch)
        except Exception as error:  # the answers went out; losing these must not stop them
            log.warning("batch_write_failed", writer=self._name, items=len(batch), error=str(error))
