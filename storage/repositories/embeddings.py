"""Dense vectors of posts in SQL: one row per post and model, whatever chats follow the channel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.embedding.models import DenseCoverage, PendingEmbedding, StoredVector
from storage.models import PostIndexStateRow, PostRow, SubscriptionRow
from storage.models.embeddings import PostEmbeddingRow
from storage.repositories._upsert import upsert
from storage.repositories.posts import document_columns, index_documents

_CHUNK = 500


def _encode(vector: Sequence[float] | None) -> bytes | None:
    return None if vector is None else np.asarray(vector, dtype="<f4").tobytes()


def _decode(blob: bytes | None) -> list[float] | None:
    if blob is None:
        return None
    vector: list[float] = np.frombuffer(blob, dtype="<f4").tolist()
    return vector


class SqlEmbeddingRepository:
    """The `post_embeddings` table and the queue of posts lacking a fresh vector."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _stale(self, model: str) -> Any:
        """Posts some chat follows whose vector for `model` is missing or older than the post."""
        row = PostEmbeddingRow
        followed = exists().where(SubscriptionRow.channel_id == PostRow.channel_id)
        return (
            document_columns()
            .outerjoin(row, and_(row.post_id == PostRow.id, row.model == model))
            .where(followed, or_(row.post_id.is_(None), row.version < PostRow.version))
        )

    async def pending(self, model: str, limit: int) -> list[PendingEmbedding]:
        """The next posts to embed, newest first (the likeliest to be asked about)."""
        query = self._stale(model).order_by(PostRow.date.desc(), PostRow.id.desc()).limit(limit)
        rows = list(await self._session.execute(query))
        return [
            PendingEmbedding(document, version)
            for document, version in await index_documents(self._session, rows)
        ]

    async def pending_count(self, model: str) -> int:
        """How many posts wait for their vector."""
        query = self._stale(model).with_only_columns(func.count(PostRow.id))
        return int(await self._session.scalar(query) or 0)

    async def stored(self, model: str, post_ids: Sequence[int]) -> dict[int, StoredVector]:
        """The stored vectors of these posts for `model` (whatever their version)."""
        found: dict[int, StoredVector] = {}
        for start in range(0, len(post_ids), _CHUNK):
            chunk = list(post_ids[start : start + _CHUNK])
            rows = await self._session.execute(
                select(PostEmbeddingRow).where(
                    PostEmbeddingRow.model == model, PostEmbeddingRow.post_id.in_(chunk)
                )
            )
            for (row,) in rows:
                found[row.post_id] = StoredVector(
                    row.post_id, row.text_hash, row.version, _decode(row.vector)
                )
        return found

    async def save(self, model: str, vectors: Sequence[StoredVector]) -> None:
        """Insert or replace these posts' vectors for `model`."""
        now = utc_now()
        rows = [
            {
                "post_id": item.post_id,
                "model": model,
                "text_hash": item.text_hash,
                "version": item.version,
                "vector": _encode(item.vector),
                "created_at": now,
            }
            for item in vectors
        ]
        for start in range(0, len(rows), _CHUNK):
            statement = upsert(
                self._session,
                PostEmbeddingRow.__table__,
                keys=["post_id", "model"],
                update=["text_hash", "version", "vector", "created_at"],
            )
            await self._session.execute(statement, rows[start : start + _CHUNK])

    async def holders(self, post_ids: Sequence[int]) -> dict[int, list[int]]:
        """Post ids by tenant, for the tenants whose index holds them."""
        result: defaultdict[int, list[int]] = defaultdict(list)
        state = PostIndexStateRow
        for start in range(0, len(post_ids), _CHUNK):
            chunk = list(post_ids[start : start + _CHUNK])
            rows = await self._session.execute(
                select(state.tenant_id, state.post_id).where(
                    state.post_id.in_(chunk), state.indexed_version > 0
                )
            )
            for tenant_id, post_id in rows:
                result[tenant_id].append(post_id)
        return dict(result)

    async def coverage(self, tenant_id: int, model: str) -> tuple[DenseCoverage, dict[int, int]]:
        """The tenant's posts with a fresh vector for `model`: in all, and ready ones by channel."""
        row = PostEmbeddingRow
        fresh = and_(row.post_id == PostRow.id, row.model == model, row.version >= PostRow.version)
        rows = await self._session.execute(
            select(PostRow.channel_id, func.count(PostRow.id), func.count(row.post_id))
            .join(SubscriptionRow, SubscriptionRow.channel_id == PostRow.channel_id)
            .outerjoin(row, fresh)
            .where(SubscriptionRow.tenant_id == tenant_id)
            .group_by(PostRow.channel_id)
        )
        total, ready, by_channel = 0, 0, {}
        for channel_id, posts, done in rows:
            total += int(posts)
            ready += int(done or 0)
            by_channel[int(channel_id)] = int(done or 0)
        return DenseCoverage(model, ready, total), by_channel
