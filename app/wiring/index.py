"""Wiring of the search index: Qdrant Edge shards under DATA_DIR, or a Qdrant server."""

from __future__ import annotations

from app.settings import Settings, reveal
from core.extras import require
from core.ports import PostIndex
from storage.index.embeddings import Embedder
from storage.index.sparse import SparseEncoder


def build_index(settings: Settings, embedder: Embedder | None) -> PostIndex:
    """Qdrant server when QDRANT_URL is set, else Qdrant Edge shards under DATA_DIR; `embedder`
    embeds queries and names the dense vectors (None: lexical search)."""
    sparse = SparseEncoder()
    if settings.qdrant_url:
        require("qdrant_client", "qdrant-server")
        from qdrant_client import AsyncQdrantClient

        from storage.index.server import QdrantServerIndex

        client = AsyncQdrantClient(url=settings.qdrant_url, api_key=reveal(settings.qdrant_api_key))
        return QdrantServerIndex(client, sparse, embedder)
    from storage.index.edge import EdgePostIndex

    return EdgePostIndex(
        settings.qdrant_path,
        sparse,
        embedder,
        max_open=settings.index_max_open_shards,
        idle_seconds=settings.index_shard_idle_seconds,
    )
