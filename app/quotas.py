"""Wiring of the quotas feature: budget gate, media store, vision, storage accounting, metrics."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.media_fetch import TelegramFiles
from adapters.metrics import PrometheusMetrics
from app.settings import Settings, reveal
from core.dlq.ports import DeadLetterSink
from core.media.models import MediaLimits
from core.media.ports import MediaStore
from core.media.service import MediaService
from core.ports import PostIndex, UnitOfWorkFactory, collection_name
from core.quotas.models import TenantLimits
from core.quotas.ports import TokenLedger
from core.quotas.report import QuotaReportService
from core.quotas.service import BudgetGate
from core.quotas.storage_usage import StorageQuotaService
from core.vision.service import VisionService
from storage.budget import RedisTokenLedger, SqlTokenLedger
from storage.db import create_session_factory
from storage.media import DirectoryMediaStore, HttpImageFetcher, S3MediaStore

log = structlog.get_logger(__name__)

Closer = Callable[[], Awaitable[None]]


@dataclass
class QuotaServices:
    """Everything of the quotas feature, built once per container."""

    gate: BudgetGate
    media: MediaService
    vision: VisionService
    storage_usage: StorageQuotaService
    report: QuotaReportService
    metrics: PrometheusMetrics
    store: MediaStore
    closers: list[Closer] = field(default_factory=list)

    async def close(self) -> None:
        """Release clients and sessions (newest first)."""
        for closer in reversed(self.closers):
            try:
                await closer()
            except Exception as error:
                log.warning("quota_close_failed", error=str(error))


def default_limits(settings: Settings) -> TenantLimits:
    """The limits of tenants without an override, from settings."""
    return TenantLimits(
        daily_tokens=settings.quota_daily_tokens,
        storage_bytes=settings.quota_storage_bytes,
        channels=settings.max_channels_per_chat,
        daily_questions=settings.quota_daily_questions,
    )


def build_media_store(settings: Settings) -> MediaStore:
    """S3 when S3_BUCKET is set, else a directory under DATA_DIR/media."""
    if settings.s3_bucket:
        return S3MediaStore.from_settings(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=reveal(settings.s3_access_key_id),
            secret_access_key=reveal(settings.s3_secret_access_key),
        )
    return DirectoryMediaStore(settings.data_dir / "media")


def directory_size(path: Path) -> int | None:
    """Disk space used below a directory, or None when it does not exist.

    Allocated blocks, not apparent sizes: Qdrant Edge preallocates sparse memory-mapped files
    (~150 MB apparent for a handful of points, ~200 KB really used).
    """
    if not path.is_dir():
        return None
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(folder) / name).stat().st_blocks * 512
            except OSError:  # a segment replaced while walking
                continue
    return total


def build_quota_services(
    settings: Settings,
    engine: AsyncEngine,
    uow_factory: UnitOfWorkFactory,
    index: PostIndex,
    *,
    reindex: Callable[[Sequence[int]], None] | None = None,
    dead_letters: DeadLetterSink | None = None,
    store: MediaStore | None = None,
) -> QuotaServices:
    """Build the feature's adapters and services from settings; nothing connects until used."""
    metrics = PrometheusMetrics()
    closers: list[Closer] = []
    ledger: TokenLedger
    if settings.redis_url:
        import redis.asyncio as redis

        client: Any = redis.from_url(settings.redis_url)
        ledger = RedisTokenLedger(client)
        closers.append(client.aclose)
    else:
        ledger = SqlTokenLedger(create_session_factory(engine))
    gate = BudgetGate(uow_factory, ledger, default_limits(settings), metrics=metrics)

    store = store or build_media_store(settings)
    closers.append(store.close)
    token = reveal(settings.bot_token) or ""
    fetcher = HttpImageFetcher(TelegramFiles(token, settings.telegram_api_base) if token else None)
    closers.append(fetcher.close)
    media = MediaService(
        uow_factory,
        store,
        fetcher,
        gate,
        MediaLimits(settings.media_max_bytes, settings.media_allowed_types),
        metrics=metrics,
    )

    model = None
    if settings.vision_configured:
        from adapters.vision import OpenAIVisionModel

        model = OpenAIVisionModel.create(
            settings.vision_model or "",
            base_url=settings.openai_base_url,
            api_key=reveal(settings.openai_api_key),
            timeout=settings.llm_timeout_seconds,
        )
        closers.append(model.close)
    else:
        log.info("vision_off", reason="VISION_MODEL or an OpenAI-compatible endpoint is not set")
    vision = VisionService(
        uow_factory,
        store,
        model,
        gate,
        dead_letters=dead_letters,
        reindex=reindex,
        metrics=metrics,
        batch_size=settings.vision_batch_size,
        max_retries=settings.vision_max_retries,
        tokens_per_image=settings.vision_tokens_per_image,
    )

    disk_size = None
    if not settings.qdrant_url:
        root = settings.qdrant_path
        disk_size = lambda tenant_id: directory_size(root / collection_name(tenant_id))  # noqa: E731
    storage_usage = StorageQuotaService(
        uow_factory, store, index, index_disk_size=disk_size, metrics=metrics
    )
    report = QuotaReportService(uow_factory, gate)
    metrics.add_refresher(lambda: report.publish(metrics))
    return QuotaServices(
        gate=gate,
        media=media,
        vision=vision,
        storage_usage=storage_usage,
        report=report,
        metrics=metrics,
        store=store,
        closers=closers,
    )
