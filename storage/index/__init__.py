"""Per-tenant post index: BM25 (+ dense) hybrid search on Qdrant Edge or a Qdrant server."""

from storage.index.edge import EdgePostIndex
from storage.index.embeddings import Embedder, LocalE5Embedder, OpenAIEmbedder, build_embedder
from storage.index.server import QdrantServerIndex
from storage.index.sparse import SparseEncoder, SparseTerms

__all__ = [
    "EdgePostIndex",
    "Embedder",
    "LocalE5Embedder",
    "OpenAIEmbedder",
    "QdrantServerIndex",
    "SparseEncoder",
    "SparseTerms",
    "build_embedder",
]
