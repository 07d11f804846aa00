"""Wiring of the media feature: the media store, the image fetcher, the media service."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.media_fetch import HttpImageFetcher, TelegramFiles
from app.settings import Settings, reveal
from core.media.models import MediaLimits
from core.media.ports import ImageFetcher, MediaStore
from core.media.service import MediaService
from core.metrics import Metrics
from core.quotas.service import BudgetGate
from storage.media import DirectoryMediaStore
from storage.repositories import UnitOfWorkFactory


@dataclass
class MediaServices:
    """The media store and the service downloading into it."""

    store: MediaStore
    fetcher: ImageFetcher
    service: MediaService

    async def close(self) -> None:
        """Release the fetcher's and the store's connections."""
        await self.fetcher.close()
        await self.store.close()


def build_media_store(settings: Settings) -> MediaStore:
    """S3 when S3_BUCKET is set, else a directory under DATA_DIR/media."""
    if settings.s3_bucket:
        from storage.media.s3 import S3MediaStore

        return S3MediaStore.from_settings(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=reveal(settings.s3_access_key_id),
            secret_access_key=reveal(settings.s3_secret_access_key),
        )
    return DirectoryMediaStore(settings.data_dir / "media")


def build_media_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    gate: BudgetGate,
    metrics: Metrics,
    *,
    store: MediaStore | None = None,
) -> MediaServices:
    """The store from settings (unless given), a fetcher using the bot's token for file ids."""
    store = store or build_media_store(settings)
    token = reveal(settings.bot_token) or ""
    fetcher = HttpImageFetcher(
        TelegramFiles(token, settings.telegram_api_base) if token else None,
        allowed_hosts=settings.media_allowed_hosts,
    )
    service = MediaService(
        uow_factory,
        store,
        fetcher,
        gate,
        MediaLimits(settings.media_max_bytes, settings.media_allowed_types),
        metrics=metrics,
    )
    return MediaServices(store=store, fetcher=fetcher, service=service)
