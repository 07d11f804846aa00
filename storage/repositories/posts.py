"""Posts and their per-tenant indexing state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.models import MediaRef, PostDraft, permalink
from core.ports import DeletedPost, IndexDocument, PendingPost, StoredPosts
from storage.models import ChannelRow, PostIndexStateRow, PostRow, SubscriptionRow
from storage.models.integrity import IndexPurgeRow
from storage.repositories._upsert import upsert
from storage.repositories.media import SqlMediaRepository

# Columns whose change makes a new version of a post (views alone do not).
_CONTENT = ("text", "links", "entities", "media", "grouped_id", "edit_date", "forwarded_from")
_CHUNK = 500  # keeps IN (...) lists and executemany batches within every driver's limits


def _media_dicts(media: Iterable[MediaRef]) -> list[dict[str, Any]]:
    return [{k: v for k, v in asdict(item).items() if v is not None} for item in media]


def _values(channel_id: int, draft: PostDraft) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "message_id": draft.message_id,
        "date": draft.date,
        "text": draft.text,
        "links": list(draft.links),
        "entities": list(draft.entities),
        "views": draft.views,
        "media": _media_dicts(draft.media),
        "grouped_id": draft.grouped_id,
        "edit_date": draft.edit_date,
        "forwarded_from": draft.forwarded_from[:255] if draft.forwarded_from else None,
    }


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def document_columns() -> Any:
    """SELECT of what `index_documents` needs, to be joined and filtered by the caller."""
    return select(PostRow, ChannelRow.username, ChannelRow.title, ChannelRow.telegram_id).join(
        ChannelRow, ChannelRow.id == PostRow.channel_id
    )


async def index_documents(
    session: AsyncSession, rows: Sequence[Any]
) -> list[tuple[IndexDocument, int]]:
    """Rows of `document_columns()` as index documents with their post version."""
    # What the vision job saw in a post's images is searchable like its text.
    seen = await SqlMediaRepository(session).vision_texts([row[0].id for row in rows])
    return [
        (
            IndexDocument(
                post_id=post.id,
                channel_id=post.channel_id,
                channel_username=username,
                channel_title=title,
                message_id=post.message_id,
                date=post.date,
                permalink=permalink(username, telegram_id, post.message_id),
                text=f"{post.text}\n\n{seen[post.id]}" if post.id in seen else post.text,
                album_id=post.grouped_id,
            ),
            post.version,
        )
        for post, username, title, telegram_id in rows
    ]


class SqlPostRepository:
    """Posts in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_many(self, channel_id: int, drafts: Sequence[PostDraft]) -> StoredPosts:
        """Insert new posts, update edited ones (new version), leave identical ones alone."""
        latest: dict[int, PostDraft] = {draft.message_id: draft for draft in drafts}
        inserted = updated = unchanged = 0
        now = utc_now()
        for chunk in _chunks(list(latest)):
            existing = {
                row.message_id: row
                for row in await self._session.execute(
                    select(PostRow.__table__).where(
                        PostRow.channel_id == channel_id, PostRow.message_id.in_(chunk)
                    )
                )
            }
            new_rows = []
            for message_id in chunk:
                values = _values(channel_id, latest[message_id])
                row = existing.get(message_id)
                if row is None:
                    new_rows.append({**values, "version": 1, "created_at": now, "updated_at": now})
                elif any(getattr(row, column) != values[column] for column in _CONTENT):
                    await self._session.execute(
                        update(PostRow)
                        .where(PostRow.id == row.id)
                        .values(**values, version=PostRow.version + 1, updated_at=now)
                    )
                    updated += 1
                else:
                    if values["views"] is not None and values["views"] != row.views:
                        await self._session.execute(
                            update(PostRow)
                            .where(PostRow.id == row.id)
                            .values(views=values["views"])
                        )
                    unchanged += 1
            if new_rows:
                await self._session.execute(insert(PostRow), new_rows)
                inserted += len(new_rows)
        return StoredPosts(inserted=inserted, updated=updated, unchanged=unchanged)

    async def merge_album_member(self, channel_id: int, draft: PostDraft) -> StoredPosts:
        """Fold one message of an album into the album's post (albums arrive message by message)."""
        row = await self._session.scalar(
            select(PostRow)
            .where(PostRow.channel_id == channel_id, PostRow.grouped_id == draft.grouped_id)
            .order_by(PostRow.message_id)
            .limit(1)
        )
        if row is None:
            return await self.upsert_many(channel_id, [draft])
        media = list(row.media)
        known = {item.get("file_unique_id") or item.get("url") for item in media}
        for item in _media_dicts(draft.media):
            if (item.get("file_unique_id") or item.get("url")) not in known:
                media.append(item)
        text = draft.text or row.text
        if media == row.media and text == row.text:
            return StoredPosts(inserted=0, updated=0, unchanged=1)
        row.media = media
        row.text = text
        row.links = list(dict.fromkeys([*row.links, *draft.links]))
        row.edit_date = draft.edit_date or row.edit_date
        row.version += 1
        row.updated_at = utc_now()
        await self._session.flush()
        return StoredPosts(inserted=0, updated=1, unchanged=0)

    def _pending_query(self, tenant_id: int) -> Any:
        state = PostIndexStateRow
        return (
            document_columns()
            .join(
                SubscriptionRow,
                and_(
                    SubscriptionRow.channel_id == PostRow.channel_id,
                    SubscriptionRow.tenant_id == tenant_id,
                ),
            )
            .outerjoin(state, and_(state.tenant_id == tenant_id, state.post_id == PostRow.id))
            .where(or_(state.post_id.is_(None), state.indexed_version < PostRow.version))
            .where(PostRow.deleted_at.is_(None))
        )

    async def pending_for_index(self, tenant_id: int, limit: int) -> list[PendingPost]:
        """Posts of the tenant's channels that its index lacks or holds in an older version."""
        rows = list(
            await self._session.execute(
                self._pending_query(tenant_id).order_by(PostRow.id).limit(limit)
            )
        )
        return [
            PendingPost(document=document, version=version)
            for document, version in await index_documents(self._session, rows)
        ]

    async def pending_count(self, tenant_id: int) -> int:
        """How many posts wait to be indexed for a tenant."""
        query = self._pending_query(tenant_id).with_only_columns(func.count(PostRow.id))
        return int(await self._session.scalar(query) or 0)

    async def mark_indexed(self, tenant_id: int, versions: dict[int, int]) -> None:
        """Record that these post versions are in the tenant's index."""
        now = utc_now()
        rows = [
            {
                "tenant_id": tenant_id,
                "post_id": post_id,
                "indexed_version": version,
                "indexed_at": now,
                "error": None,
            }
            for post_id, version in versions.items()
        ]
        for chunk in _chunks(rows):
            statement = upsert(
                self._session,
                PostIndexStateRow.__table__,
                keys=["tenant_id", "post_id"],
                update=["indexed_version", "indexed_at", "error"],
            )
            await self._session.execute(statement, list(chunk))

    async def mark_index_error(self, tenant_id: int, post_ids: Sequence[int], error: str) -> None:
        """Remember why posts could not be indexed; they stay pending."""
        rows = [
            {"tenant_id": tenant_id, "post_id": post_id, "indexed_version": 0, "error": error[:500]}
            for post_id in post_ids
        ]
        for chunk in _chunks(rows):
            statement = upsert(
                self._session,
                PostIndexStateRow.__table__,
                keys=["tenant_id", "post_id"],
                update=["error"],
            )
            await self._session.execute(statement, list(chunk))

    async def forget_index_state(self, tenant_id: int, channel_id: int) -> None:
        """Drop the tenant's index state of a channel's posts (after unsubscribing)."""
        posts = select(PostRow.id).where(PostRow.channel_id == channel_id)
        await self._session.execute(
            delete(PostIndexStateRow).where(
                PostIndexStateRow.tenant_id == tenant_id, PostIndexStateRow.post_id.in_(posts)
            )
        )

    async def mark_deleted(self, channel_id: int, listed: Sequence[int], at: datetime) -> int:
        """Mark stored posts within the listed id range that the source no longer lists."""
        if not listed:
            return 0
        present = set(listed)
        candidates = await self._session.scalars(
            select(PostRow.message_id).where(
                PostRow.channel_id == channel_id,
                PostRow.message_id.between(min(present), max(present)),
                PostRow.deleted_at.is_(None),
            )
        )
        gone = [number for number in candidates if number not in present]
        for chunk in _chunks(gone):
            await self._session.execute(
                update(PostRow)
                .where(PostRow.channel_id == channel_id, PostRow.message_id.in_(list(chunk)))
                .values(deleted_at=at)
            )
        return len(gone)

    async def deleted(self, limit: int) -> list[DeletedPost]:
        """Posts marked deleted, oldest first."""
        rows = await self._session.execute(
            select(PostRow.id, PostRow.channel_id, PostRow.message_id)
            .where(PostRow.deleted_at.is_not(None))
            .order_by(PostRow.deleted_at, PostRow.id)
            .limit(limit)
        )
        return [DeletedPost(*row) for row in rows]

    async def remove(self, post_ids: Sequence[int]) -> None:
        """Delete posts (and, by cascade, their index state and media rows)."""
        for chunk in _chunks(list(post_ids)):
            await self._session.execute(delete(PostRow).where(PostRow.id.in_(list(chunk))))

    async def add_index_purge(self, tenant_id: int, channel_id: int) -> None:
        """Remember that a channel's points must leave the tenant's index."""
        statement = upsert(
            self._session, IndexPurgeRow.__table__, keys=["tenant_id", "channel_id"], update=[]
        ).values(tenant_id=tenant_id, channel_id=channel_id, created_at=utc_now())
        await self._session.execute(statement)

    async def index_purges(self, tenant_id: int) -> list[int]:
        """Channels whose points still have to leave the tenant's index."""
        rows = await self._session.scalars(
            select(IndexPurgeRow.channel_id).where(IndexPurgeRow.tenant_id == tenant_id)
        )
        return list(rows)

    async def drop_index_purge(self, tenant_id: int, channel_id: int) -> None:
        """The channel's points are gone from the tenant's index."""
        await self._session.execute(
            delete(IndexPurgeRow).where(
                IndexPurgeRow.tenant_id == tenant_id, IndexPurgeRow.channel_id == channel_id
            )
        )

    async def reindex_channel(self, channel_id: int) -> None:
        """Make a channel's posts pending in every tenant (their permalinks changed)."""
        posts = select(PostRow.id).where(PostRow.channel_id == channel_id)
        await self._session.execute(
            delete(PostIndexStateRow).where(PostIndexStateRow.post_id.in_(posts))
        )

    async def tenants_with_pending(self) -> list[int]:
        """Tenants whose index lacks some posts of their channels, or holds some to purge."""
        purging = set(await self._session.scalars(select(IndexPurgeRow.tenant_id).distinct()))
        state = PostIndexStateRow
        rows = await self._session.scalars(
            select(SubscriptionRow.tenant_id)
            .join(PostRow, PostRow.channel_id == SubscriptionRow.channel_id)
            .outerjoin(
                state,
                and_(state.tenant_id == SubscriptionRow.tenant_id, state.post_id == PostRow.id),
            )
            .where(or_(state.post_id.is_(None), state.indexed_version < PostRow.version))
            .distinct()
        )
        return sorted(purging | set(rows))

    async def bump_version(self, post_id: int) -> None:
        """Make a post pending for re-indexing in every tenant (its vision text changed)."""
        await self._session.execute(
            update(PostRow)
            .where(PostRow.id == post_id)
            .values(version=PostRow.version + 1, updated_at=utc_now())
        )

    async def count_for_tenant(self, tenant_id: int) -> int:
        """How many posts the tenant's channels hold."""
        count = await self._session.scalar(
            select(func.count(PostRow.id))
            .join(SubscriptionRow, SubscriptionRow.channel_id == PostRow.channel_id)
            .where(SubscriptionRow.tenant_id == tenant_id)
        )
        return int(count or 0)
