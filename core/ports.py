"""Protocol ports through which the core talks to storage and the outside world."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from core.index_progress.models import ChannelBacklog
from core.models import (
    PostDraft,
    Tenant,
    UserContact,
)


def collection_name(tenant_id: int) -> str:
    """Name of a tenant's posts collection in the index."""
    return f"t{tenant_id}_posts"


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """One post as the index stores it: text to vectorise plus payload to filter and cite."""

    post_id: int  # database id of the post
    channel_id: int  # database id of the channel
    channel_username: str | None
    channel_title: str
    message_id: int
    date: datetime
    permalink: str
    text: str
    album_id: str | None = None
    # The text's content stems, computed once when indexed (None: a point stored before them).
    stems: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @property
    def point_id(self) -> int:
        """Stable point id derived from channel and message id, so re-indexing is idempotent."""
        return point_id(self.channel_id, self.message_id)


def point_id(channel_id: int, message_id: int) -> int:
    """The index point of a channel's message (the same in every tenant's collection)."""
    return (channel_id << 32) | (message_id & 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Optional restrictions on a search."""

    channel_ids: Sequence[int] | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked post returned by the index."""

    score: float
    document: IndexDocument


@dataclass(frozen=True, slots=True)
class CollectionStats:
    """What the index knows about a tenant's collection."""

    name: str
    points_count: int
    extra: dict[str, object] = field(default_factory=dict)


class PostIndex(Protocol):
    """Per-tenant search index over posts (Qdrant Edge embedded, or a Qdrant server)."""

    async def stats(self, tenant_id: int) -> CollectionStats | None:
        """Return the tenant's collection stats, or None when the collection does not exist."""
        ...

    async def upsert(
        self,
        tenant_id: int,
        documents: Sequence[IndexDocument],
        vectors: Mapping[int, Sequence[float]] | None = None,
    ) -> None:
        """Insert or replace documents (idempotent by point id); creates the collection.

        `vectors` are dense vectors by post id, computed elsewhere (the index computes none);
        a document without one is searched lexically until `set_vectors` gives it one.
        """
        ...

    async def set_vectors(
        self, tenant_id: int, vectors: Sequence[tuple[int, Sequence[float]]]
    ) -> int:
        """Set the dense vector of points (point id, vector) the tenant's collection holds;
        returns how many it held (others are skipped)."""
        ...

    async def delete_channel(self, tenant_id: int, channel_id: int) -> None:
        """Remove every point of one channel from one tenant's collection."""
        ...

    async def delete_posts(self, tenant_id: int, point_ids: Sequence[int]) -> None:
        """Remove the given points from one tenant's collection."""
        ...

    async def search(
        self,
        tenant_id: int,
        query: str,
        *,
        limit: int = 10,
        filters: SearchFilter | None = None,
    ) -> list[SearchHit]:
        """Hybrid (sparse BM25 + dense when configured) search fused by RRF, best first."""
        ...

    async def close(self) -> None:
        """Release files, threads and connections."""
        ...


@dataclass(frozen=True, slots=True)
class StoredPosts:
    """Outcome of storing a batch of drafts."""

    inserted: int
    updated: int
    unchanged: int


class TenantRepository(Protocol):
    """Tenants: one per chat."""

    async def get_or_create(
        self, chat_id: int, kind: str, title: str | None, language: str
    ) -> Tenant: ...

    async def lock(self, tenant_id: int) -> None:
        """Serialise the tenant's limit checks and index bookkeeping until the commit."""
        ...

    async def by_chat_id(self, chat_id: int) -> Tenant | None: ...

    async def by_id(self, tenant_id: int) -> Tenant | None: ...

    async def list_all(self) -> list[Tenant]: ...

    async def set_alerts(self, tenant_id: int, enabled: bool) -> None: ...

    async def set_language(self, tenant_id: int, language: str) -> None: ...

    async def set_active(self, chat_id: int, active: bool) -> bool: ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int | None: ...


class UserRepository(Protocol):
    """Telegram users who talk to the bot."""

    async def touch(
        self, user_id: int, username: str | None, first_name: str | None, language: str | None
    ) -> None: ...

    async def touch_many(self, contacts: Sequence[UserContact]) -> None: ...


class PostRepository(Protocol):
    """Posts and their per-tenant indexing state."""

    async def upsert_many(self, channel_id: int, drafts: Sequence[PostDraft]) -> StoredPosts: ...

    async def merge_album_member(self, channel_id: int, draft: PostDraft) -> StoredPosts: ...

    async def pending_for_index(self, tenant_id: int, limit: int) -> list[PendingPost]: ...

    async def pending_count(self, tenant_id: int) -> int: ...

    async def mark_indexed(self, tenant_id: int, versions: dict[int, int]) -> None: ...

    async def mark_index_error(
        self, tenant_id: int, post_ids: Sequence[int], error: str
    ) -> None: ...

    async def forget_index_state(self, tenant_id: int, channel_id: int) -> None: ...

    async def reindex_channel(self, channel_id: int) -> None:
        """Make a channel's posts pending in every tenant (their permalinks changed)."""
        ...

    async def tenants_with_pending(self) -> list[int]: ...

    async def backlog_by_channel(self, tenant_id: int) -> dict[int, ChannelBacklog]:
        """Per channel id: posts the tenant's index lacks and the last indexing error."""
        ...

    async def add_index_purge(self, tenant_id: int, channel_id: int) -> None: ...

    async def mark_deleted(self, channel_id: int, listed: Sequence[int], at: datetime) -> int:
        """Mark stored posts within the listed id range that the source no longer lists."""
        ...

    async def deleted(self, limit: int) -> list[DeletedPost]:
        """Posts marked deleted, oldest first."""
        ...

    async def remove(self, post_ids: Sequence[int]) -> None:
        """Delete posts (and, by cascade, their index state and media rows)."""
        ...

    async def index_purges(self, tenant_id: int) -> list[int]: ...

    async def drop_index_purge(self, tenant_id: int, channel_id: int) -> None: ...

    async def count_for_tenant(self, tenant_id: int) -> int: ...

    async def bump_version(self, post_id: int) -> None:
        """Make a post pending for re-indexing everywhere (e.g. its vision text changed)."""
        ...


@dataclass(frozen=True, slots=True)
class DeletedPost:
    """A post its source no longer has, waiting to be removed everywhere."""

    post_id: int
    channel_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class PendingPost:
    """A post waiting to be (re)indexed into one tenant's collection."""

    document: IndexDocument
    version: int


class Transaction(Protocol):
    """What every unit of work has: one database transaction (see docs/ARCHITECTURE.md)."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class TenantsUnitOfWork(Transaction, Protocol):
    """The tenants and users of a chat (what the bot records for every update)."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def users(self) -> UserRepository: ...


UnitOfWorkT = TypeVar("UnitOfWorkT", covariant=True)
UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWorkT]]
"""Opens a unit of work: `async with uow_factory() as uow`. Each service names the narrow unit
of work it needs (`UnitOfWorkFactory[TrendsUnitOfWork]`); `storage/` builds the one composite
that satisfies them all."""
