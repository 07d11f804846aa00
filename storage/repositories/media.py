"""Media objects (download and vision queues) and vision results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Text, and_, cast, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clock import utc_now
from core.media.models import MediaObject, MediaPlan, MediaScanItem, MediaStatus, SkipReason
from core.vision.models import VisionGroup, VisionResult
from core.vision.service import indexable_vision_text
from storage.models import ChannelRow, PostRow, SubscriptionRow
from storage.models.quotas import MediaObjectRow, VisionResultRow

_STORED = MediaStatus.STORED.value
_PENDING = MediaStatus.PENDING.value


def to_media_object(row: MediaObjectRow) -> MediaObject:
    """Map a row to its DTO."""
    return MediaObject(
        id=row.id,
        tenant_id=row.tenant_id,
        post_id=row.post_id,
        position=row.position,
        kind=row.kind,
        source=row.source,
        status=MediaStatus(row.status),
        attempts=row.attempts,
        storage_key=row.storage_key,
        sha256=row.sha256,
        bytes=row.bytes,
        mime_type=row.mime_type,
        skip_reason=row.skip_reason,
    )


def to_vision_result(row: VisionResultRow) -> VisionResult:
    """Map a row to its DTO."""
    return VisionResult(
        post_id=row.post_id,
        image_hash=row.image_hash,
        status=row.status,
        description=row.description,
        text=row.text,
        skip_reason=row.skip_reason,
        attempts=row.attempts,
        retry_at=row.retry_at,
    )


class SqlMediaRepository:
    """Media and vision state in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- the download queue -------------------------------------------------------------------

    async def posts_to_scan(self, limit: int) -> list[MediaScanItem]:
        """Posts with media of subscribed channels that a tenant has not recorded in this version."""
        recorded = aliased(MediaObjectRow)
        rows = await self._session.execute(
            select(SubscriptionRow.tenant_id, PostRow.id, PostRow.version, PostRow.media)
            .join(PostRow, PostRow.channel_id == SubscriptionRow.channel_id)
            .where(
                cast(PostRow.media, Text) != "[]",
                ~exists().where(
                    recorded.tenant_id == SubscriptionRow.tenant_id,
                    recorded.post_id == PostRow.id,
                    recorded.post_version >= PostRow.version,
                ),
            )
            .order_by(PostRow.id, SubscriptionRow.tenant_id)
            .limit(limit)
        )
        return [
            MediaScanItem(tenant_id=tenant_id, post_id=post_id, version=version, media=list(media))
            for tenant_id, post_id, version, media in rows
        ]

    async def record_post_media(
        self, tenant_id: int, post_id: int, version: int, plans: Sequence[MediaPlan]
    ) -> list[MediaPlan]:
        """Record a post's media for a tenant; unchanged ones keep their state, changed ones restart."""
        existing = {
            row.position: row
            for row in await self._session.scalars(
                select(MediaObjectRow).where(
                    MediaObjectRow.tenant_id == tenant_id, MediaObjectRow.post_id == post_id
                )
            )
        }
        now = utc_now()
        recorded = []
        for plan in plans:
            row = existing.pop(plan.position, None)
            if row is not None and row.source == plan.source and row.kind == plan.kind:
                row.post_version = version
                continue
            recorded.append(plan)
            if row is None:
                row = MediaObjectRow(
                    tenant_id=tenant_id, post_id=post_id, position=plan.position, created_at=now
                )
                self._session.add(row)
            row.post_version = version
            row.kind = plan.kind
            row.source = plan.source
            row.status = plan.status.value
            row.skip_reason = plan.skip_reason.value if plan.skip_reason else None
            row.storage_key = row.sha256 = row.mime_type = row.error = None
            row.bytes = None
            row.attempts = 0
            row.vision_status = _PENDING
            row.vision_retry_at = None
            row.updated_at = now
        for row in existing.values():  # the post lost media in an edit
            await self._session.delete(row)
        await self._session.flush()
        return recorded

    async def pending_downloads(
        self, limit: int, max_attempts: int, after_id: int = 0
    ) -> list[MediaObject]:
        """Media waiting to be downloaded, by id after `after_id`."""
        rows = await self._session.scalars(
            select(MediaObjectRow)
            .where(
                MediaObjectRow.status == _PENDING,
                MediaObjectRow.attempts < max_attempts,
                MediaObjectRow.id > after_id,
            )
            .order_by(MediaObjectRow.id)
            .limit(limit)
        )
        return [to_media_object(row) for row in rows]

    async def stored_source(self, source: str) -> MediaObject | None:
        """Any stored object downloaded from the same source."""
        row = await self._session.scalar(
            select(MediaObjectRow)
            .where(MediaObjectRow.source == source, MediaObjectRow.status == _STORED)
            .limit(1)
        )
        return to_media_object(row) if row else None

    async def mark_stored(
        self, object_id: int, *, key: str, sha256: str, size: int, mime_type: str
    ) -> None:
        """The medium is in the store."""
        await self._set(
            object_id,
            status=_STORED,
            storage_key=key,
            sha256=sha256,
            bytes=size,
            mime_type=mime_type,
            skip_reason=None,
            error=None,
        )

    async def mark_skipped(self, object_id: int, reason: SkipReason, detail: str = "") -> None:
        """The medium will not be stored, for a recorded reason."""
        await self._set(
            object_id,
            status=MediaStatus.SKIPPED.value,
            skip_reason=reason.value,
            error=detail[:500] or None,
        )

    async def mark_fetch_failed(self, object_id: int, error: str, *, final: bool) -> None:
        """A download failed; it stays pending for another attempt unless this was the last."""
        await self._set(
            object_id,
            status=MediaStatus.FAILED.value if final else _PENDING,
            attempts=MediaObjectRow.attempts + 1,
            error=error[:500],
        )

    async def _set(self, object_id: int, **values: object) -> None:
        await self._session.execute(
            update(MediaObjectRow)
            .where(MediaObjectRow.id == object_id)
            .values(updated_at=utc_now(), **values)
        )

    async def tenant_media_bytes(self, tenant_id: int) -> int:
        """Bytes of distinct stored objects of a tenant."""
        per_key = (
            select(func.max(MediaObjectRow.bytes).label("size"))
            .where(MediaObjectRow.tenant_id == tenant_id, MediaObjectRow.status == _STORED)
            .group_by(MediaObjectRow.storage_key)
            .subquery()
        )
        total = await self._session.scalar(select(func.coalesce(func.sum(per_key.c.size), 0)))
        return int(total or 0)

    # --- the vision queue ---------------------------------------------------------------------

    async def vision_queue(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """(tenant, post) pairs with stored images awaiting analysis and no download pending."""
        waiting = aliased(MediaObjectRow)
        rows = await self._session.execute(
            select(MediaObjectRow.tenant_id, MediaObjectRow.post_id)
            .where(
                MediaObjectRow.status == _STORED,
                MediaObjectRow.vision_status == _PENDING,
                or_(
                    MediaObjectRow.vision_retry_at.is_(None), MediaObjectRow.vision_retry_at <= now
                ),
                ~exists().where(
                    waiting.tenant_id == MediaObjectRow.tenant_id,
                    waiting.post_id == MediaObjectRow.post_id,
                    waiting.status == _PENDING,
                ),
            )
            .distinct()
            .order_by(MediaObjectRow.post_id, MediaObjectRow.tenant_id)
            .limit(limit)
        )
        return [(tenant_id, post_id) for tenant_id, post_id in rows]

    async def vision_group(self, tenant_id: int, post_id: int) -> VisionGroup | None:
        """The post's stored images for the tenant, with the other album members' folded in."""
        found = (
            await self._session.execute(
                select(PostRow, ChannelRow.username, ChannelRow.title)
                .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
                .where(PostRow.id == post_id)
            )
        ).first()
        if found is None:
            return None
        post, username, title = found
        posts = [post]
        if post.grouped_id:
            posts = list(
                await self._session.scalars(
                    select(PostRow)
                    .where(
                        PostRow.channel_id == post.channel_id, PostRow.grouped_id == post.grouped_id
                    )
                    .order_by(PostRow.message_id)
                )
            )
        order = {member.id: number for number, member in enumerate(posts)}
        images = sorted(
            (
                to_media_object(row)
                for row in await self._session.scalars(
                    select(MediaObjectRow).where(
                        MediaObjectRow.tenant_id == tenant_id,
                        MediaObjectRow.post_id.in_(list(order)),
                        MediaObjectRow.status == _STORED,
                    )
                )
            ),
            key=lambda item: (order[item.post_id], item.position),
        )
        first = posts[0]
        text = "\n\n".join(member.text for member in posts if member.text)
        return VisionGroup(
            tenant_id=tenant_id,
            post_id=first.id,
            post_ids=list(order),
            channel_id=first.channel_id,
            channel_username=username,
            channel_title=title,
            message_id=first.message_id,
            post_text=text,
            grouped_id=first.grouped_id,
            images=images,
        )

    async def vision_result(self, post_id: int, image_hash: str) -> VisionResult | None:
        """The stored result for a post's image set, if any."""
        row = await self._result_row(post_id, image_hash)
        return to_vision_result(row) if row else None

    async def _result_row(self, post_id: int, image_hash: str) -> VisionResultRow | None:
        return await self._session.scalar(
            select(VisionResultRow).where(
                VisionResultRow.post_id == post_id, VisionResultRow.image_hash == image_hash
            )
        )

    async def save_vision_result(
        self,
        *,
        post_id: int,
        tenant_id: int,
        image_hash: str,
        image_count: int,
        status: str,
        description: str = "",
        text: str = "",
        skip_reason: str | None = None,
        error: str | None = None,
        tokens: int = 0,
        model: str | None = None,
        retry_at: datetime | None = None,
    ) -> VisionResult:
        """Insert or update the result of a post's image set; every save counts an attempt."""
        row = await self._result_row(post_id, image_hash)
        now = utc_now()
        if row is None:
            row = VisionResultRow(
                post_id=post_id, image_hash=image_hash, attempts=0, created_at=now
            )
            self._session.add(row)
        row.tenant_id = tenant_id
        row.image_count = image_count
        row.status = status
        row.description = description
        row.text = text
        row.skip_reason = skip_reason
        row.error = error[:1000] if error else None
        row.tokens = (row.tokens or 0) + tokens
        row.model = model or row.model
        row.retry_at = retry_at
        row.attempts = (row.attempts or 0) + 1
        row.updated_at = now
        await self._session.flush()
        return to_vision_result(row)

    async def set_vision_status(
        self,
        tenant_id: int,
        post_ids: Sequence[int],
        status: str,
        retry_at: datetime | None = None,
    ) -> None:
        """Move a tenant's stored images of these posts along the vision queue."""
        await self._session.execute(
            update(MediaObjectRow)
            .where(
                MediaObjectRow.tenant_id == tenant_id,
                MediaObjectRow.post_id.in_(list(post_ids)),
                MediaObjectRow.status == _STORED,
            )
            .values(vision_status=status, vision_retry_at=retry_at, updated_at=utc_now())
        )

    async def vision_usage(self, tenant_id: int) -> tuple[int, int]:
        """(bytes, results) of done vision results of the tenant's channels' posts."""
        row = (
            await self._session.execute(
                select(
                    func.coalesce(
                        func.sum(
                            func.length(VisionResultRow.description)
                            + func.length(VisionResultRow.text)
                        ),
                        0,
                    ),
                    func.count(VisionResultRow.id),
                )
                .join(PostRow, PostRow.id == VisionResultRow.post_id)
                .join(
                    SubscriptionRow,
                    and_(
                        SubscriptionRow.channel_id == PostRow.channel_id,
                        SubscriptionRow.tenant_id == tenant_id,
                    ),
                )
                .where(VisionResultRow.status == "done")
            )
        ).one()
        return int(row[0] or 0), int(row[1] or 0)

    async def vision_texts(self, post_ids: Sequence[int]) -> Mapping[int, str]:
        """The newest done vision result of each post, as text to append to its indexed text."""
        if not post_ids:
            return {}
        rows = await self._session.execute(
            select(VisionResultRow.post_id, VisionResultRow.description, VisionResultRow.text)
            .where(VisionResultRow.post_id.in_(list(post_ids)), VisionResultRow.status == "done")
            .order_by(VisionResultRow.updated_at, VisionResultRow.id)
        )
        texts: dict[int, str] = {}
        for post_id, description, text in rows:
            texts[post_id] = indexable_vision_text(description, text)  # newest wins
        return texts
