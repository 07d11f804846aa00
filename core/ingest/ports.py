"""Ports of the ingest feature: what storing and indexing posts read and write."""

from __future__ import annotations

from typing import Protocol

from core.channels.ports import ChannelRepository
from core.embedding.ports import EmbeddingRepository
from core.ports import PostRepository, TenantRepository, Transaction


class IngestUnitOfWork(Transaction, Protocol):
    """What storing channel posts and imported exports reads and writes."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def posts(self) -> PostRepository: ...


class IndexingUnitOfWork(Transaction, Protocol):
    """What indexing reads and marks (under the tenant's lock, against its subscriptions), and the
    stored vectors it puts in with the posts."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def embeddings(self) -> EmbeddingRepository: ...
