"""The composition root: assembles each feature's wiring (`app/wiring/`) and closes it all.

What several features share is built here: the engine, the unit-of-work factory, the index
and the metrics. Everything else comes from one `build_…` per feature.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.metrics import PrometheusMetrics
from adapters.web_preview import WebPreviewSource
from app.settings import Settings
from app.wiring.channels import ChannelServices, build_channel_services
from app.wiring.digests import build_digest_service
from app.wiring.dlq import build_dead_letters
from app.wiring.embedding import build_embedding_service, build_settings_embedder
from app.wiring.index import build_index
from app.wiring.interests import InterestServices, build_interest_services
from app.wiring.locks import build_job_locks
from app.wiring.media import MediaServices, build_media_services
from app.wiring.messages import MessageDelivery, build_message_delivery
from app.wiring.questions import build_question_service
from app.wiring.quotas import QuotaServices, build_budget_gate, build_quota_services
from app.wiring.trends import TrendServices, build_trend_services
from app.wiring.vision import build_vision_service
from app.wiring.watches import WatchServices, build_watch_services
from core.batching import BatchWriter
from core.channels.polling import ChannelPoller
from core.channels.service import SubscriptionService
from core.chats.service import ChatLifecycle
from core.digests.service import DigestService
from core.dlq.models import DeadLetter
from core.dlq.service import DeadLetterService
from core.embedding.service import EmbeddingService
from core.foreground import ForegroundActivity
from core.index_progress.service import IndexProgressService
from core.ingest.indexing import BackgroundIndexer, Indexer
from core.ingest.service import ChannelPostIngestor, ExportImporter
from core.interests.service import INTERESTS_DLQ_STREAM
from core.locks import JobLocks
from core.media.ports import MediaStore
from core.media.service import MediaService
from core.models import UserContact
from core.ports import PostIndex
from core.quotas.report import QuotaReportService
from core.quotas.service import BudgetGate
from core.quotas.storage_usage import StorageQuotaService
from core.rag.service import QuestionService
from core.retention.service import RetentionService
from core.tenant_cache import TenantCache
from core.vision.service import VISION_DLQ_STREAM, VisionService
from storage.db import create_engine, create_session_factory
from storage.repositories import UnitOfWorkFactory

log = structlog.get_logger(__name__)

Closer = Callable[[], Awaitable[None]]


@dataclass
class Container:
    """Everything an entry point needs, built once."""

    settings: Settings
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory
    index: PostIndex
    metrics: PrometheusMetrics
    user_contacts: BatchWriter[UserContact]
    channels: ChannelServices
    quotas: QuotaServices
    media_services: MediaServices
    vision: VisionService
    trends: TrendServices
    questions: QuestionService
    interests: InterestServices
    dlq: DeadLetterService
    job_locks: JobLocks
    messages: MessageDelivery
    watches: WatchServices
    digests: DigestService
    retention: RetentionService
    chats: ChatLifecycle
    embedding: EmbeddingService | None = None  # None: EMBEDDINGS=none (lexical search only)
    foreground: ForegroundActivity = field(default_factory=ForegroundActivity)
    closers: list[Closer] = field(default_factory=list)  # closed newest first
    close_timeout: float = 30.0  # seconds one closer may take at shutdown

    # --- what entry points and jobs use, by name ------------------------------------------------

    @property
    def source(self) -> WebPreviewSource:
        """The t.me web preview client."""
        return self.channels.source

    @property
    def indexer(self) -> Indexer:
        """Indexes pending posts into tenants' collections."""
        return self.channels.indexer

    @property
    def background_indexer(self) -> BackgroundIndexer:
        """Indexes in the background after new posts arrive."""
        return self.channels.background_indexer

    @property
    def poller(self) -> ChannelPoller:
        """Polls public channels."""
        return self.channels.poller

    @property
    def index_progress(self) -> IndexProgressService:
        """Tells chats when their new channels are indexed."""
        return self.channels.index_progress

    @property
    def subscriptions(self) -> SubscriptionService:
        """Chats following channels."""
        return self.channels.subscriptions

    @property
    def ingestor(self) -> ChannelPostIngestor:
        """Stores posts of channels the bot administers."""
        return self.channels.ingestor

    @property
    def importer(self) -> ExportImporter:
        """Imports Telegram Desktop exports."""
        return self.channels.importer

    @property
    def budget_gate(self) -> BudgetGate:
        """The per-tenant budget gate every LLM call goes through."""
        return self.quotas.gate

    @property
    def quota_report(self) -> QuotaReportService:
        """Usage against limits, per tenant."""
        return self.quotas.report

    @property
    def storage_usage(self) -> StorageQuotaService:
        """Measures and records tenants' stored bytes."""
        return self.quotas.storage_usage

    @property
    def media(self) -> MediaService:
        """Downloads post images into the media store."""
        return self.media_services.service

    @property
    def media_store(self) -> MediaStore:
        """Where media bytes live."""
        return self.media_services.store

    def handler_services(self) -> dict[str, Any]:
        """What bot handlers may receive as keyword arguments (each takes only what it uses)."""
        return {
            "admin_ids": self.settings.admin_ids,
            "trends_interval_minutes": self.settings.trends_interval_minutes,
            "subscriptions": self.subscriptions,
            "index_progress": self.index_progress,
            "ingestor": self.ingestor,
            "quota_report": self.quota_report,
            "trend_service": self.trends.service,
            "question_service": self.questions,
            "tenant_cache": self.uow_factory.tenant_cache,
            "user_contacts": self.user_contacts,
            "interest_service": self.interests.service,
            "dlq_service": self.dlq,
            "watch_service": self.watches.service,
            "watches": self.watches,
            "digest_service": self.digests,
            "embedding_service": self.embedding,
            "chat_lifecycle": self.chats,
        }

    async def close(self) -> None:
        """Stop background work and release files and connections (newest first), each part
        within `close_timeout`: a part that hangs is logged and left, so the process still exits
        and the parts after it (the database, the index) are still closed."""
        for closer in reversed(self.closers):
            name = getattr(closer, "__qualname__", repr(closer))
            try:
                async with asyncio.timeout(self.close_timeout):
                    await closer()
            except TimeoutError:
                log.error("container_close_timed_out", part=name, seconds=self.close_timeout)
            except Exception as error:
                log.warning("container_close_failed", part=name, error=str(error))


def register_dead_letter_handlers(
    dlq: DeadLetterService, vision: VisionService, interests: InterestServices
) -> None:
    """Let DLQ entries be retried by the job that failed."""

    async def retry_vision(letter: DeadLetter) -> bool:
        fields = letter.fields
        return await vision.retry(int(fields["tenant_id"]), int(fields["post_id"]))

    dlq.register(INTERESTS_DLQ_STREAM, interests.sync.retry)
    dlq.register(VISION_DLQ_STREAM, retry_vision)


def build_container(settings: Settings, *, index: PostIndex | None = None) -> Container:
    """Assemble every feature's wiring; nothing connects until first use."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    uow_factory = UnitOfWorkFactory(
        create_session_factory(engine), TenantCache(settings.tenant_cache_seconds)
    )
    embedder = build_settings_embedder(settings)
    index = index or build_index(settings, embedder)

    async def store_contacts(contacts: list[UserContact]) -> None:
        async with uow_factory() as uow:
            await uow.users.touch_many(contacts)
            await uow.commit()

    user_contacts: BatchWriter[UserContact] = BatchWriter(store_contacts, name="user-contacts")
    metrics = PrometheusMetrics()
    # Answers in progress, which the embed job gives way to.
    foreground = ForegroundActivity()
    closers: list[Closer] = [engine.dispose, index.close]

    gate, close_ledger = build_budget_gate(settings, engine, uow_factory, metrics)
    if close_ledger is not None:
        closers.append(close_ledger)
    dense_model = embedder.name if embedder is not None else None
    channels = build_channel_services(settings, uow_factory, index, gate, dense_model)
    embedding = build_embedding_service(settings, uow_factory, index, embedder, foreground)
    media = build_media_services(settings, uow_factory, gate, metrics)
    quotas = build_quota_services(settings, uow_factory, index, media.store, gate, metrics)
    dlq = build_dead_letters(settings, engine)
    dlq.metrics = metrics
    vision = build_vision_service(
        settings,
        uow_factory,
        media.store,
        gate,
        metrics,
        reindex=lambda ids: channels.background_indexer.kick(*ids),
        dead_letters=dlq,
    )
    interests = build_interest_services(settings, uow_factory, dead_letters=dlq)
    register_dead_letter_handlers(dlq, vision, interests)
    trends = build_trend_services(
        settings, uow_factory, interests=interests.trend_scorer(), gate=gate, metrics=metrics
    )
    questions = build_question_service(
        settings,
        uow_factory,
        index,
        gate=gate,
        metrics=metrics,
        activity=foreground,
        meaning=embedding,
    )
    gate.flush_question_log = questions.question_log.flush
    job_locks = build_job_locks(settings)
    messages = build_message_delivery(settings, uow_factory, trends.limiter)
    watches = build_watch_services(settings, uow_factory, messages)
    digests = build_digest_service(
        settings,
        uow_factory,
        model=questions.chat_model,
        gate=gate,
        interests=interests.trend_scorer(),
    )
    # Scrapes refresh what only the database knows.
    metrics.add_refresher(lambda: quotas.report.publish(metrics))
    metrics.add_refresher(dlq.publish_metrics)
    closers += [
        media.close,
        vision.close,
        channels.close,
        trends.close,
        questions.close,
        dlq.close,
        job_locks.close,
        watches.close,
        user_contacts.close,
    ]
    return Container(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        index=index,
        metrics=metrics,
        user_contacts=user_contacts,
        channels=channels,
        quotas=quotas,
        media_services=media,
        vision=vision,
        trends=trends,
        questions=questions,
        interests=interests,
        dlq=dlq,
        job_locks=job_locks,
        messages=messages,
        watches=watches,
        digests=digests,
        embedding=embedding,
        foreground=foreground,
        retention=RetentionService(
            uow_factory, index, question_days=settings.retention_question_days
        ),
        chats=ChatLifecycle(uow_factory, channels.background_indexer),
        closers=closers,
    )
