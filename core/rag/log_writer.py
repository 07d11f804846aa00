"""The question log written off the answer path: records queue up and are stored in batches.

A bounded queue (a full queue makes `submit` wait: backpressure, never silent loss) drained by
one background task, one transaction per batch (a batch gathers for up to 0.2 s). `close()` stores everything still queued, so a
clean stop loses nothing; a crash loses at most what was queued and not yet committed (one
batch, plus whatever arrived during it).
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from core.ports import UnitOfWorkFactory
from core.rag.ports import QuestionRecord, QuestionsUnitOfWork

log = structlog.get_logger(__name__)


class QuestionLogWriter:
    """Stores question records in batches from a background task."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[QuestionsUnitOfWork],
        *,
        max_queue: int = 10_000,
        max_batch: int = 500,
        linger_seconds: float = 0.2,
    ) -> None:
        self._uow_factory = uow_factory
        self._queue: asyncio.Queue[QuestionRecord] = asyncio.Queue(max(1, max_queue))
        self._max_batch = max(1, max_batch)
        self._linger = linger_seconds
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, record: QuestionRecord) -> None:
        """Queue a record (waits only while the queue is full); stored directly once closed."""
        if self._closed:
            await self._store([record])
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="question-log-writer")
        await self._queue.put(record)

    async def flush(self) -> None:
        """Wait until every record queued so far is stored (readers of the log call this)."""
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

    def _take(self, count: int) -> list[QuestionRecord]:
        taken: list[QuestionRecord] = []
        while len(taken) < count and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    async def _store(self, batch: list[QuestionRecord]) -> None:
        try:
            async with self._uow_factory() as uow:
                await uow.questions.add_many(batch)
                await uow.commit()
        except Exception as error:  # the answers went out; losing log lines must not stop them
            log.warning("question_log_write_failed", records=len(batch), error=str(error))
