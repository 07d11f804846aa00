"""Wiring of the channels and ingest features: the t.me source, polling, subscriptions, indexing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from adapters.web_preview import WebPreviewSource
from app.settings import Settings
from core.channels.models import SubscriptionLimits
from core.channels.polling import ChannelPoller
from core.channels.service import SubscriptionService
from core.ingest.indexing import BackgroundIndexer, Indexer
from core.ingest.service import ChannelPostIngestor, ExportImporter
from core.ports import PostIndex
from core.quotas.service import BudgetGate
from storage.repositories import UnitOfWorkFactory


@dataclass
class ChannelServices:
    """Reading channels (web preview polling, channel posts, exports) into the index."""

    source: WebPreviewSource
    indexer: Indexer
    background_indexer: BackgroundIndexer
    poller: ChannelPoller
    subscriptions: SubscriptionService
    ingestor: ChannelPostIngestor
    importer: ExportImporter

    async def close(self) -> None:
        """Stop background indexing and close the source's HTTP session."""
        await self.background_indexer.stop()
        await self.source.close()


def build_channel_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    index: PostIndex,
    gate: BudgetGate,
    dense_model: str | None = None,
) -> ChannelServices:
    """Polling at the configured interval and jitter; subscriptions within the chat's limit;
    indexing with the stored vectors of `dense_model`."""
    source = WebPreviewSource(settings.telegram_web_base)
    indexer = Indexer(uow_factory, index, settings.index_batch_size, model=dense_model)
    background = BackgroundIndexer(indexer)
    poller = ChannelPoller(
        uow_factory,
        source,
        background,
        interval=timedelta(minutes=settings.poll_interval_minutes),
        jitter=timedelta(seconds=settings.poll_jitter_seconds),
        max_posts=settings.backfill_posts,
    )
    subscriptions = SubscriptionService(
        poller,
        index,
        background,
        max_channels=settings.max_channels_per_chat,
        channel_limit=gate.channel_limit,
        limits=SubscriptionLimits(
            changes_per_window=settings.subscribe_rate_limit,
            window_seconds=settings.subscribe_rate_window_seconds,
            unreadable_ttl_seconds=settings.unreadable_channel_cache_seconds,
        ),
    )
    return ChannelServices(
        source=source,
        indexer=indexer,
        background_indexer=background,
        poller=poller,
        subscriptions=subscriptions,
        ingestor=ChannelPostIngestor(uow_factory, background),
        importer=ExportImporter(uow_factory),
    )
