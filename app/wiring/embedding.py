"""Wiring of the embedding feature: the dense model and the embed job's service."""

from __future__ import annotations

from app.settings import Settings, reveal
from core.embedding.service import EmbeddingService
from core.foreground import ForegroundActivity
from core.ports import PostIndex
from storage.index.embeddings import Embedder, build_embedder
from storage.repositories import UnitOfWorkFactory


def build_settings_embedder(settings: Settings) -> Embedder | None:
    """The dense model of EMBEDDINGS (None: lexical search only)."""
    return build_embedder(
        settings.embeddings,
        model=settings.embedding_model,
        base_url=settings.openai_base_url,
        api_key=reveal(settings.openai_api_key),
        max_tokens=settings.embed_max_tokens or None,
    )


def build_embedding_service(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    index: PostIndex,
    embedder: Embedder | None,
    foreground: ForegroundActivity,
) -> EmbeddingService | None:
    """The embed job's service, giving way to the answers `foreground` counts; None without a
    dense model."""
    if embedder is None:
        return None
    return EmbeddingService(
        uow_factory,
        index,
        embedder,
        batch_size=settings.embed_batch_size,
        foreground=foreground,
        busy_threads=settings.embed_busy_threads,
    )
