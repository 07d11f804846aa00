"""Storage accounting: what each tenant keeps in the media store, the index and the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from core.clock import Clock, utc_now
from core.media.ports import MediaStore
from core.media.service import tenant_prefix
from core.metrics import NULL_METRICS, Metrics
from core.ports import PostIndex, UnitOfWorkFactory
from core.quotas.models import ContentType, StorageUsage
from core.quotas.ports import StorageUsageUnitOfWork

log = structlog.get_logger(__name__)

DiskSize = Callable[[int], int | None]  # a tenant's index size on disk, when the index knows


class StorageQuotaService:
    """Measures every tenant's storage by content type and records it in tenant_storage_usage."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[StorageUsageUnitOfWork],
        store: MediaStore,
        index: PostIndex,
        *,
        index_disk_size: DiskSize | None = None,
        metrics: Metrics = NULL_METRICS,
        clock: Clock = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._index = index
        self._index_disk_size = index_disk_size
        self._metrics = metrics
        self._clock = clock

    async def run(self) -> dict[str, int]:
        """Measure and record every tenant; one tenant's failure does not stop the others."""
        async with self._uow_factory() as uow:
            tenants = [tenant.id for tenant in await uow.tenants.list_all()]
        measured = failed = 0
        total = 0
        for tenant_id in tenants:
            try:
                usage = await self.measure(tenant_id)
            except Exception:
                failed += 1
                log.exception("storage_usage_failed", tenant_id=tenant_id)
                continue
            async with self._uow_factory() as uow:
                await uow.quotas.record_storage_usage(usage)
                await uow.commit()
            for item in usage:
                self._metrics.tenant_storage(tenant_id, item.content_type, item.bytes, item.objects)
                total += item.bytes
            measured += 1
        return {"tenants": measured, "failed": failed, "bytes": total}

    async def measure(self, tenant_id: int) -> list[StorageUsage]:
        """A tenant's media (store prefix), vision results, index points and posts right now."""
        now = self._clock()
        media_bytes, media_objects = await self._store.usage(tenant_prefix(tenant_id))
        async with self._uow_factory() as uow:
            vision_bytes, vision_results = await uow.media.vision_usage(tenant_id)
            posts = await uow.posts.count_for_tenant(tenant_id)
            text_bytes = await uow.quotas.index_bytes_estimate(tenant_id)
        usage = [
            StorageUsage(tenant_id, ContentType.MEDIA, media_bytes, media_objects, now),
            StorageUsage(tenant_id, ContentType.VISION, vision_bytes, vision_results, now),
            StorageUsage(tenant_id, ContentType.POSTS, text_bytes, posts, now),
        ]
        try:
            stats = await self._index.stats(tenant_id)
        except Exception as error:  # the index may be down or held by another process
            log.warning("storage_usage_index_unavailable", tenant_id=tenant_id, error=str(error))
            return usage
        points = stats.points_count if stats else 0
        disk = None
        if self._index_disk_size is not None and stats is not None:
            disk = await asyncio.to_thread(self._index_disk_size, tenant_id)
        index_bytes = disk if disk is not None else (text_bytes if points else 0)
        usage.append(StorageUsage(tenant_id, ContentType.INDEX, index_bytes, points, now))
        return usage
