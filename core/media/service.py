"""Post images into the media store: recorded per tenant, downloaded once, within limits."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any

import structlog

from core.media.models import (
    MediaFetchError,
    MediaLimits,
    MediaObject,
    MediaPlan,
    MediaReport,
    MediaStatus,
    MediaTooLarge,
    MediaUnavailable,
    SkipReason,
)
from core.media.ports import ImageFetcher, MediaStore, MediaUnitOfWork
from core.metrics import NULL_METRICS, Metrics
from core.ports import UnitOfWorkFactory
from core.quotas.models import ContentType
from core.quotas.service import BudgetGate, QuotaExceeded

log = structlog.get_logger(__name__)

TELEGRAM_FILE_PREFIX = "tg-file:"
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


def sniff_image_type(data: bytes) -> str | None:
    """The image MIME type its first bytes reveal (servers' Content-Type is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def media_key(tenant_id: int, sha256: str, mime_type: str) -> str:
    """Where a tenant's object lives: content-addressed under the tenant's prefix."""
    return f"{tenant_prefix(tenant_id)}media/{sha256[:2]}/{sha256}{_EXTENSIONS.get(mime_type, '')}"


def tenant_prefix(tenant_id: int) -> str:
    """Every key of a tenant starts with this, so usage is attributable."""
    return f"t{tenant_id}/"


def media_source(item: Mapping[str, Any]) -> str | None:
    """Where a medium's picture can be downloaded from: its http(s) URL, a video's thumbnail
    URL, or its Bot API file id."""
    for key in ("url", "thumbnail_url"):
        url = item.get(key)
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
    file_id = item.get("file_id")
    if isinstance(file_id, str) and file_id:
        return TELEGRAM_FILE_PREFIX + file_id
    return None  # e.g. a path inside a Telegram Desktop export: nothing to fetch


def plan_media(media: list[dict[str, Any]], limits: MediaLimits) -> list[MediaPlan]:
    """Decide, from what the source told, which media to download and which to skip (and why)."""
    plans = []
    for position, item in enumerate(media):
        kind = str(item.get("kind") or "document")
        mime = item.get("mime_type")
        source = media_source(item)
        size = item.get("file_size")
        reason: SkipReason | None = None
        if not _is_picture(kind, mime, item):
            reason = SkipReason.UNSUPPORTED_KIND
        elif source is None:
            reason = SkipReason.NO_SOURCE
        elif isinstance(size, int) and size > limits.max_bytes:
            reason = SkipReason.TOO_LARGE
        elif isinstance(mime, str) and mime not in limits.allowed_types:
            reason = SkipReason.UNSUPPORTED_TYPE
        status = MediaStatus.SKIPPED if reason else MediaStatus.PENDING
        plans.append(MediaPlan(position, kind, source, status, reason))
    return plans


def _is_picture(kind: str, mime: object, item: Mapping[str, Any]) -> bool:
    """A photo, an image file, or a video standing in the post as its thumbnail."""
    if kind == "photo" or (isinstance(mime, str) and mime.startswith("image/")):
        return True
    thumbnail = item.get("thumbnail_url")
    return isinstance(thumbnail, str) and not item.get("file_id")


class MediaService:
    """Records the media of new posts per tenant and downloads the images into the store."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[MediaUnitOfWork],
        store: MediaStore,
        fetcher: ImageFetcher,
        gate: BudgetGate,
        limits: MediaLimits,
        *,
        max_attempts: int = 3,
        batch_size: int = 100,
        concurrency: int = 4,
        metrics: Metrics = NULL_METRICS,
    ) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._fetcher = fetcher
        self._gate = gate
        self._limits = limits
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._concurrency = asyncio.Semaphore(concurrency)
        self._metrics = metrics

    @property
    def store(self) -> MediaStore:
        """Where media objects are kept."""
        return self._store

    async def run(self, max_batches: int = 20) -> MediaReport:
        """Record new posts' media, then download what is pending (bounded per run)."""
        report = MediaReport()
        for _ in range(max_batches):
            scanned = await self.scan()
            report.scanned_posts += scanned
            if scanned < self._batch_size:
                break
        after_id = 0  # one pass: a failed download waits for the next run
        for _ in range(max_batches):
            after_id = await self.download(report, after_id)
            if after_id == 0:
                break
        return report

    async def scan(self) -> int:
        """Record the media of one batch of posts a tenant has not seen yet; returns the batch size."""
        async with self._uow_factory() as uow:
            items = await uow.media.posts_to_scan(self._batch_size)
            for item in items:
                plans = plan_media(item.media, self._limits)
                recorded = await uow.media.record_post_media(
                    item.tenant_id, item.post_id, item.version, plans
                )
                for plan in recorded:
                    if plan.skip_reason is not None:
                        self._metrics.vision_outcome("skipped", plan.skip_reason.value)
            await uow.commit()
        return len(items)

    async def download(self, report: MediaReport | None = None, after_id: int = 0) -> int:
        """Download one batch of pending media after `after_id`; returns the last id, 0 when none."""
        report = report if report is not None else MediaReport()
        async with self._uow_factory() as uow:
            batch = await uow.media.pending_downloads(
                self._batch_size, self._max_attempts, after_id
            )
        # One source at a time: the first download is copied for the other tenants.
        by_source: dict[str | None, list[MediaObject]] = {}
        for item in batch:
            by_source.setdefault(item.source, []).append(item)
        await asyncio.gather(
            *(self._download_source(items, report) for items in by_source.values())
        )
        return batch[-1].id if batch else 0

    async def _download_source(self, items: list[MediaObject], report: MediaReport) -> None:
        async with self._concurrency:
            for item in items:
                await self._download_one(item, report)

    async def _download_one(self, item: MediaObject, report: MediaReport) -> None:
        try:
            data = await self._obtain(item)
            await self._keep(item, data, report)
        except MediaTooLarge as error:
            await self._skip(item, SkipReason.TOO_LARGE, str(error), report)
        except MediaUnavailable as error:
            await self._skip(item, SkipReason.UNAVAILABLE, str(error), report)
        except (MediaFetchError, OSError, TimeoutError) as error:
            final = item.attempts + 1 >= self._max_attempts
            async with self._uow_factory() as uow:
                await uow.media.mark_fetch_failed(item.id, _describe(error), final=final)
                await uow.commit()
            if final:
                report.failed += 1
            else:
                report.retrying += 1
            log.warning(
                "media_download_failed",
                media_id=item.id,
                tenant_id=item.tenant_id,
                attempt=item.attempts + 1,
                final=final,
                error=_describe(error),
            )

    async def _obtain(self, item: MediaObject) -> bytes:
        """The bytes: copied from another tenant's object of the same source, or downloaded."""
        assert item.source is not None  # planned media without a source are skipped
        async with self._uow_factory() as uow:
            copy = await uow.media.stored_source(item.source)
        if copy is not None and copy.storage_key:
            try:
                return await self._store.get(copy.storage_key)
            except Exception as error:  # a vanished object: download afresh
                log.warning("media_copy_failed", key=copy.storage_key, error=_describe(error))
        fetched = await self._fetcher.fetch(item.source, self._limits.max_bytes)
        return fetched.data

    async def _keep(self, item: MediaObject, data: bytes, report: MediaReport) -> None:
        if len(data) > self._limits.max_bytes:
            await self._skip(item, SkipReason.TOO_LARGE, f"{len(data)} bytes", report)
            return
        mime = sniff_image_type(data)
        if mime is None or mime not in self._limits.allowed_types:
            await self._skip(item, SkipReason.UNSUPPORTED_TYPE, mime or "not an image", report)
            return
        sha = hashlib.sha256(data).hexdigest()
        key = media_key(item.tenant_id, sha, mime)
        async with self._uow_factory() as uow:
            stored = await uow.media.tenant_media_bytes(item.tenant_id)
            others = sum(
                usage.bytes
                for usage in await uow.quotas.storage_usage(item.tenant_id)
                if usage.content_type != ContentType.MEDIA
            )
        try:
            await self._gate.check_storage(item.tenant_id, stored + others, len(data))
        except QuotaExceeded as error:
            await self._skip(item, SkipReason.STORAGE_QUOTA, str(error), report)
            return
        if not await self._store.exists(key):
            await self._store.put(key, data, mime)
        async with self._uow_factory() as uow:
            await uow.media.mark_stored(
                item.id, key=key, sha256=sha, size=len(data), mime_type=mime
            )
            await uow.commit()
        report.stored += 1

    async def _skip(
        self, item: MediaObject, reason: SkipReason, detail: str, report: MediaReport
    ) -> None:
        async with self._uow_factory() as uow:
            await uow.media.mark_skipped(item.id, reason, detail)
            await uow.commit()
        report.skipped += 1
        self._metrics.vision_outcome("skipped", reason.value)  # the image will never be described
        log.info("media_skipped", media_id=item.id, tenant_id=item.tenant_id, reason=reason.value)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]
