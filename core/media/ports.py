"""Ports and DTOs of the quotas feature: limits, token ledger, media store and fetcher, vision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from core.media.models import FetchedMedia, MediaObject, MediaPlan, MediaScanItem, SkipReason
from core.ports import Transaction
from core.quotas.ports import QuotaRepository
from core.vision.models import VisionGroup, VisionResult

# --- media ------------------------------------------------------------------------------------


class ImageFetcher(Protocol):
    """Downloads a medium from its source: an http(s) URL or `tg-file:<file_id>`."""

    async def fetch(self, source: str, max_bytes: int) -> FetchedMedia: ...

    async def close(self) -> None: ...


class MediaStore(Protocol):
    """Object storage for media: a directory under DATA_DIR, or an S3 bucket."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def usage(self, prefix: str) -> tuple[int, int]:
        """(bytes, objects) stored under a key prefix."""
        ...

    async def close(self) -> None: ...


# --- vision -----------------------------------------------------------------------------------


class MediaRepository(Protocol):
    """Media objects (the download and vision queues) and vision results (SQL)."""

    async def posts_to_scan(self, limit: int) -> list[MediaScanItem]: ...

    async def record_post_media(
        self, tenant_id: int, post_id: int, version: int, plans: Sequence[MediaPlan]
    ) -> list[MediaPlan]:
        """Record a post's media; returns the plans that were new or changed."""
        ...

    async def pending_downloads(
        self, limit: int, max_attempts: int, after_id: int = 0
    ) -> list[MediaObject]:
        """Media waiting to be downloaded, by id after `after_id` (one pass per run)."""
        ...

    async def stored_source(self, source: str) -> MediaObject | None:
        """Any stored object downloaded from the same source (for another tenant)."""
        ...

    async def mark_stored(
        self, object_id: int, *, key: str, sha256: str, size: int, mime_type: str
    ) -> None: ...

    async def mark_skipped(self, object_id: int, reason: SkipReason, detail: str = "") -> None: ...

    async def mark_fetch_failed(self, object_id: int, error: str, *, final: bool) -> None: ...

    async def tenant_media_bytes(self, tenant_id: int) -> int:
        """Bytes of distinct stored objects of a tenant."""
        ...

    async def vision_queue(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """(tenant_id, post_id) pairs whose stored images wait for analysis and are ready."""
        ...

    async def vision_group(self, tenant_id: int, post_id: int) -> VisionGroup | None: ...

    async def vision_result(self, post_id: int, image_hash: str) -> VisionResult | None: ...

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
    ) -> VisionResult: ...

    async def set_vision_status(
        self,
        tenant_id: int,
        post_ids: Sequence[int],
        status: str,
        retry_at: datetime | None = None,
    ) -> None: ...

    async def vision_usage(self, tenant_id: int) -> tuple[int, int]:
        """(bytes, results) of done vision results of the tenant's channels' posts."""
        ...

    async def vision_texts(self, post_ids: Sequence[int]) -> Mapping[int, str]:
        """The newest vision text of each post, ready to append to its indexed text."""
        ...


class MediaUnitOfWork(Transaction, Protocol):
    """What recording and downloading media reads and writes."""

    @property
    def media(self) -> MediaRepository: ...

    @property
    def quotas(self) -> QuotaRepository: ...
