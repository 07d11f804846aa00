"""The embed job's work: give every post its dense vector once, and every chat's index a copy.

Ingest stores and indexes posts lexically at once; vectors come later from here, in batches,
newest posts first. A vector is keyed by post, text hash and model name: a post that changed
without a text change (e.g. views) reuses its vector, and every chat following the channel gets
the same vector. Between batches the job gives way to answers: it waits (bounded) while one is computed, and
uses few model threads until none was for a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from core.embedding.models import DenseCoverage, PendingEmbedding, StoredVector, text_hash
from core.embedding.ports import (
    DenseVectorWriter,
    EmbeddingUnitOfWork,
    ForegroundWork,
    PassageEmbedder,
)
from core.ports import UnitOfWorkFactory

log = structlog.get_logger(__name__)

Progress = Callable[[int], None]


@dataclass(slots=True)
class EmbedReport:
    """What a drain did."""

    embedded: int = 0  # vectors computed by the model
    reused: int = 0  # posts whose stored vector still matched their text
    blank: int = 0  # posts without text: no vector needed
    failed: int = 0  # posts the model rejected (kept without a vector, logged)
    points: int = 0  # tenant index points that got a vector
    batches: int = 0


class EmbeddingService:
    """Drains the queue of posts lacking a vector for the current model."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[EmbeddingUnitOfWork],
        index: DenseVectorWriter,
        embedder: PassageEmbedder,
        *,
        batch_size: int = 16,
        foreground: ForegroundWork | None = None,
        busy_threads: int = 1,
        max_yield_seconds: float = 2.0,
        quiet_seconds: float = 5.0,
    ) -> None:
        self._uow_factory = uow_factory
        self._index = index
        self._embedder = embedder
        self._batch_size = batch_size
        self._foreground = foreground
        self._busy_threads = busy_threads
        self._max_yield = max_yield_seconds
        self._quiet = quiet_seconds

    @property
    def model(self) -> str:
        """The name vectors are stored under."""
        return self._embedder.name

    async def pending(self) -> int:
        """Posts still waiting for their vector."""
        async with self._uow_factory() as uow:
            return await uow.embeddings.pending_count(self.model)

    async def coverage(self, tenant_id: int) -> tuple[DenseCoverage, dict[int, int]]:
        """A chat's posts with their vector: in all, and ready ones by channel id."""
        async with self._uow_factory() as uow:
            return await uow.embeddings.coverage(tenant_id, self.model)

    async def drain(
        self, *, progress: Progress | None = None, deadline: float | None = None
    ) -> EmbedReport:
        """Embed batches until the queue is empty or `deadline` (time.monotonic()) passes."""
        report = EmbedReport()
        while deadline is None or time.monotonic() < deadline:
            done = await self.run_batch(report)
            if not done:
                break
            if progress is not None:
                progress(done)
        log.info(
            "embeddings_drained",
            model=self.model,
            embedded=report.embedded,
            reused=report.reused,
            points=report.points,
            batches=report.batches,
        )
        return report

    async def run_batch(self, report: EmbedReport) -> int:
        """Embed one batch and hand the vectors to every index holding the posts; returns the
        number of posts done (0 when nothing is pending)."""
        async with self._uow_factory() as uow:
            batch = await uow.embeddings.pending(self.model, self._batch_size)
            if not batch:
                return 0
            ids = [item.document.post_id for item in batch]
            stored = await uow.embeddings.stored(self.model, ids)
        vectors = await self._vectors(batch, stored, report)
        async with self._uow_factory() as uow:
            await uow.embeddings.save(self.model, vectors)
            # Read after the vectors are written: an indexer that wrote a point without its
            # vector before this commit is listed here; one that comes later reads the vector.
            holders = await uow.embeddings.holders(ids)
            await uow.commit()
        points = {item.document.post_id: item.document.point_id for item in batch}
        ready = {item.post_id: item.vector for item in vectors if item.vector is not None}
        for tenant_id, post_ids in holders.items():
            pairs = [(points[post], ready[post]) for post in post_ids if post in ready]
            report.points += await self._index.set_vectors(tenant_id, pairs)
        report.batches += 1
        return len(batch)

    async def _vectors(
        self,
        batch: Sequence[PendingEmbedding],
        stored: dict[int, StoredVector],
        report: EmbedReport,
    ) -> list[StoredVector]:
        """Each post's vector: reused when its text is unchanged, else computed."""
        result: list[StoredVector] = []
        todo: list[tuple[PendingEmbedding, str]] = []
        for item in batch:
            post_id, text = item.document.post_id, item.document.text
            digest = text_hash(text)
            known = stored.get(post_id)
            if not text.strip():
                result.append(StoredVector(post_id, digest, item.version, None))
                report.blank += 1
            elif known is not None and known.text_hash == digest and known.vector is not None:
                result.append(StoredVector(post_id, digest, item.version, known.vector))
                report.reused += 1
            else:
                todo.append((item, digest))
        if todo:
            computed = await self._embed([item.document.text for item, _ in todo], report)
            for (item, digest), vector in zip(todo, computed, strict=True):
                result.append(StoredVector(item.document.post_id, digest, item.version, vector))
        return result

    async def _embed(self, texts: list[str], report: EmbedReport) -> list[list[float] | None]:
        """The model's vectors; a text it rejects gets None (logged), unless all are rejected
        (an outage: raised, and the batch stays pending)."""
        threads = await self._give_way()
        try:
            vectors: list[list[float] | None] = list(
                await self._embedder.embed_passages(texts, threads=threads)
            )
            report.embedded += len(texts)
            return vectors
        except Exception as batch_error:
            if len(texts) == 1:
                raise
            log.warning("embedding_batch_failed", texts=len(texts), error=str(batch_error))
        singles: list[list[float] | None] = []
        for text in texts:
            try:
                [vector] = await self._embedder.embed_passages([text], threads=threads)
            except Exception as error:
                log.warning("embedding_failed", chars=len(text), error=str(error))
                singles.append(None)
                report.failed += 1
            else:
                singles.append(vector)
                report.embedded += 1
        if all(vector is None for vector in singles):
            raise RuntimeError("the embedding model rejected every text of a batch")
        return singles

    async def _give_way(self) -> int | None:
        """Wait (bounded) for answers in progress to finish; the model threads to use: all of
        them only once no answer was computed for `quiet_seconds` (questions come in runs, and
        a batch started in a gap between two of them would slow the next)."""
        if self._foreground is None:
            return None
        if self._foreground.busy:
            await self._foreground.wait_idle(self._max_yield)
        return self._busy_threads if self._foreground.idle_seconds < self._quiet else None
