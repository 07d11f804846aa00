"""What the embedding feature needs from storage, the index and the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.embedding.models import DenseCoverage, PendingEmbedding, StoredVector


class EmbeddingRepository(Protocol):
    """Stored post vectors (one per post and model) and the queue of posts lacking one."""

    async def pending(self, model: str, limit: int) -> list[PendingEmbedding]:
        """The next posts to embed, newest first."""
        ...

    async def pending_count(self, model: str) -> int:
        """How many posts wait for their vector."""
        ...

    async def stored(self, model: str, post_ids: Sequence[int]) -> dict[int, StoredVector]:
        """The stored vectors of these posts, whatever their version."""
        ...

    async def save(self, model: str, vectors: Sequence[StoredVector]) -> None:
        """Insert or replace these posts' vectors."""
        ...

    async def holders(self, post_ids: Sequence[int]) -> dict[int, list[int]]:
        """Post ids by tenant, for the tenants whose index holds them."""
        ...

    async def coverage(self, tenant_id: int, model: str) -> tuple[DenseCoverage, dict[int, int]]:
        """The tenant's posts with a fresh vector: in all, and ready ones by channel id."""
        ...


class EmbeddingUnitOfWork(Protocol):
    """What the embed job reads and writes in one transaction."""

    @property
    def embeddings(self) -> EmbeddingRepository: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class PassageEmbedder(Protocol):
    """The dense model, as far as embedding posts goes."""

    dim: int
    name: str

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        """Vectors in input order; `threads` bounds a local model's threads."""
        ...


class DenseVectorWriter(Protocol):
    """The part of the post index that takes vectors computed elsewhere."""

    async def set_vectors(
        self, tenant_id: int, vectors: Sequence[tuple[int, Sequence[float]]]
    ) -> int:
        """Set the dense vector of points (point id, vector) the tenant's index holds; returns
        how many it held."""
        ...


class ForegroundWork(Protocol):
    """Whether answers are being computed right now (background work gives way to them)."""

    @property
    def busy(self) -> bool:
        """True while at least one question or search is in progress."""
        ...

    @property
    def idle_seconds(self) -> float:
        """Seconds since the last answer finished (0 while one is in progress)."""
        ...

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is in progress or `timeout` seconds passed; True when idle."""
        ...
