"""What both index adapters share: vector names, payload layout, search tuning."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog

from core.ports import IndexDocument, SearchFilter
from core.text.terms import term_set
from storage.index.embeddings import Embedder

log = structlog.get_logger(__name__)

SPARSE_VECTOR = "sparse"
DENSE_VECTOR = "dense"
# Payload fields with an integer index, for channel and date filters.
INDEXED_FIELDS = ("channel_id", "date")
# Qdrant server's default RRF constant, so both adapters rank alike; small k lets the top hit
# of one retriever win over documents that are merely mediocre in both.
RRF_K = 2
# (lexical, dense): Qdrant divides a leg's rank by its weight. The dense leg ranks better on
# its own, so the lexical one counts less (tuning MRR 0.894 vs 0.869 with equal weights,
# bench/ranking.py); at this ratio no rank of one leg ties with a rank of the other.
RRF_WEIGHTS = (0.7, 1.001)


@dataclass(frozen=True, slots=True)
class Ranking:
    """How search combines its retrievers (benchmarks compare the choices; defaults measured)."""

    legs: Literal["hybrid", "lexical", "dense"] = "hybrid"
    fusion: Literal["rrf", "dbsf"] = "rrf"  # reciprocal rank, or distribution-based score fusion
    rrf_k: int = RRF_K
    # (lexical, dense) RRF weights whose ratio no two ranks share: Qdrant orders ties
    # arbitrarily, so with equal weights the same question was ranked differently each time.
    rrf_weights: tuple[float, float] = RRF_WEIGHTS  # in the order the legs are prefetched


DEFAULT_RANKING = Ranking()


def prefetch_limit(limit: int) -> int:
    """Candidates each retriever hands to fusion: enough that RRF sees overlaps."""
    return max(4 * limit, 40)


def timestamp(moment: datetime) -> float:
    """Unix seconds; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def to_payload(document: IndexDocument) -> dict[str, Any]:
    """The stored payload; the date is integer unix seconds so ranges can use an integer index."""
    return {
        "post_id": document.post_id,
        "channel_id": document.channel_id,
        "channel_username": document.channel_username,
        "channel_title": document.channel_title,
        "message_id": document.message_id,
        "date": int(timestamp(document.date)),
        "permalink": document.permalink,
        "text": document.text,
        "album_id": document.album_id,
        # Answers compare posts by their stems: stemmed once here, not on every question.
        "stems": sorted(term_set(document.text) if document.stems is None else document.stems),
    }


def from_payload(payload: Mapping[str, Any]) -> IndexDocument:
    """Rebuild the document from a stored payload, with an aware UTC date."""
    return IndexDocument(
        post_id=int(payload["post_id"]),
        channel_id=int(payload["channel_id"]),
        channel_username=payload.get("channel_username"),
        channel_title=str(payload["channel_title"]),
        message_id=int(payload["message_id"]),
        date=datetime.fromtimestamp(int(payload["date"]), UTC),
        permalink=str(payload["permalink"]),
        text=str(payload["text"]),
        album_id=payload.get("album_id"),
        stems=frozenset(payload["stems"]) if "stems" in payload else None,
    )


def matches_nothing(filters: SearchFilter | None) -> bool:
    """An explicitly empty channel list selects no posts at all."""
    return filters is not None and filters.channel_ids is not None and not filters.channel_ids


def date_bounds(filters: SearchFilter) -> tuple[float | None, float | None]:
    """(since, until) as unix seconds: posts with since <= date < until."""
    since = timestamp(filters.since) if filters.since else None
    until = timestamp(filters.until) if filters.until else None
    return since, until


def dense_vector_name(model: str) -> str:
    """The named vector holding one model's vectors: a new model gets a new one beside the old,
    so search keeps working (lexically for posts not yet re-embedded) while it fills."""
    return f"{DENSE_VECTOR}-{re.sub(r'[^a-z0-9]+', '-', model.lower()).strip('-')}"[:64]


def dense_of(
    documents: Sequence[IndexDocument], vectors: Mapping[int, Sequence[float]] | None
) -> list[list[float] | None]:
    """Each document's given vector (by post id), None where it has none yet."""
    given = vectors or {}
    return [list(given[doc.post_id]) if doc.post_id in given else None for doc in documents]


async def embed_query_or_none(embedder: Embedder, query: str) -> list[float] | None:
    """The query vector, or None (lexical search) when the embedder fails: a flaky embeddings
    API should cost answer quality, not the answer."""
    try:
        return await embedder.embed_query(query)
    except Exception as exc:
        log.warning("index_query_embedding_failed", error=repr(exc), fallback="lexical search")
        return None
