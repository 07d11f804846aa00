"""What the embedding feature stores and reports."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.ports import IndexDocument


def text_hash(text: str) -> str:
    """A short stable digest of the text a vector was computed from."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class PendingEmbedding:
    """A post whose vector for the current model is missing or older than the post."""

    document: IndexDocument
    version: int


@dataclass(frozen=True, slots=True)
class StoredVector:
    """A post's vector for one model; `vector` is None for a post without text (none needed)."""

    post_id: int
    text_hash: str
    version: int
    vector: list[float] | None


@dataclass(frozen=True, slots=True)
class DenseCoverage:
    """How many of a chat's posts have their vector for the current model."""

    model: str
    ready: int
    total: int

    @property
    def share(self) -> float:
        """Ready posts as a share of all (1.0 for a chat without posts)."""
        return self.ready / self.total if self.total else 1.0
