"""The composition root: builds every adapter and service from Settings, and closes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from app.digests import build_digest_service
from app.dlq import build_dead_letters
from app.interests import InterestServices, build_interest_services
from app.messages import MessageDelivery, build_message_delivery
from app.metrics import PrometheusMetrics
from app.questions import build_question_service
from app.quotas import QuotaServices, build_quota_services
from app.settings import Settings
from app.trends import TrendServices, build_trend_services
from app.watches import WatchServices, build_watch_services
from core.digests.service import DigestService
from core.dlq import DeadLetter, DeadLetterService
from core.indexing import BackgroundIndexer, Indexer
from core.ingest import ChannelPostIngestor, ExportImporter
from core.interests import INTERESTS_DLQ_STREAM
from core.locks import JobLocks
from core.polling import ChannelPoller
from core.ports import PostIndex
from core.quotas import BudgetGate
from core.rag.service import QuestionService
from core.subscriptions import SubscriptionService
from core.vision import VISION_DLQ_STREAM
from storage.db import create_engine, create_session_factory
from storage.index.embeddings import build_embedder
from storage.index.sparse import SparseEncoder
from storage.repositories import UnitOfWorkFactory
from storage.web_preview import WebPreviewSource

log = structlog.get_logger(__name__)


def build_index(settings: Settings) -> PostIndex:
    """Qdrant server when QDRANT_URL is set, else Qdrant Edge shards under DATA_DIR."""
    embedder = build_embedder(
        settings.embeddings,
        model=settings.embedding_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
    )
    sparse = SparseEncoder()
    if settings.qdrant_url:
        from qdrant_client import AsyncQdrantClient

        from storage.index.server import QdrantServerIndex

        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = AsyncQdrantClient(url=settings.qdrant_url, api_key=api_key)
        return QdrantServerIndex(client, sparse, embedder)
    from storage.index.edge import EdgePostIndex

    return EdgePostIndex(settings.qdrant_path, sparse, embedder)


@dataclass
class Container:
    """Everything an entry point needs, built once."""

    settings: Settings
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory
    index: PostIndex
    source: WebPreviewSource
    indexer: Indexer
    background_indexer: BackgroundIndexer
    poller: ChannelPoller
    subscriptions: SubscriptionService
    ingestor: ChannelPostIngestor
    importer: ExportImporter
    quota: QuotaServices
    trends: TrendServices
    questions: QuestionService
    job_locks: JobLocks
    dlq: DeadLetterService
    interests: InterestServices
    messages: MessageDelivery
    watches: WatchServices
    digests: DigestService
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def budget_gate(self) -> BudgetGate:
        """The per-tenant budget gate every LLM call goes through."""
        return self.quota.gate

    @property
    def metrics(self) -> PrometheusMetrics:
        """This container's Prometheus metrics (the `core.metrics.Metrics` port)."""
        return self.quota.metrics

    def handler_services(self) -> dict[str, Any]:
        """What bot handlers receive as keyword arguments."""
        return {
            "settings": self.settings,
            "admin_ids": self.settings.admin_ids,
            "subscriptions": self.subscriptions,
            "ingestor": self.ingestor,
            "indexer": self.indexer,
            "budget_gate": self.quota.gate,
            "quota_report": self.quota.report,
            "trend_service": self.trends.service,
            "question_service": self.questions,
            "interest_service": self.interests.service,
            "dlq_service": self.dlq,
            "watch_service": self.watches.service,
            "watches": self.watches,
            "digest_service": self.digests,
            **self.extras,
        }

    async def close(self) -> None:
        """Stop background work and release files and connections."""
        await self.background_indexer.stop()
        await self.watches.close()
        await self.quota.close()
        await self.trends.close()
        await self.questions.close()
        await self.dlq.close()
        await self.job_locks.close()
        await self.source.close()
        await self.index.close()
        await self.engine.dispose()


def build_job_locks(settings: Settings) -> JobLocks:
    """Job leases in Redis when REDIS_URL is set (several workers), else lock files in DATA_DIR."""
    if settings.redis_url:
        from storage.locks import RedisJobLocks

        return RedisJobLocks.from_url(settings.redis_url)
    from storage.locks import FileJobLocks

    return FileJobLocks(settings.data_dir / "locks")


def register_dead_letter_handlers(
    dlq: DeadLetterService, quota: QuotaServices, interests: InterestServices
) -> None:
    """Let DLQ entries be retried by the job that failed, and keep the DLQ gauges current."""

    async def retry_vision(letter: DeadLetter) -> bool:
        fields = letter.fields
        return await quota.vision.retry(int(fields["tenant_id"]), int(fields["post_id"]))

    dlq.register(INTERESTS_DLQ_STREAM, interests.sync.retry)
    dlq.register(VISION_DLQ_STREAM, retry_vision)
    dlq.metrics = quota.metrics
    quota.metrics.add_refresher(dlq.publish_metrics)


def build_container(settings: Settings, *, index: PostIndex | None = None) -> Container:
    """Wire adapters and services; nothing connects until first use."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    index = index or build_index(settings)
    source = WebPreviewSource(settings.telegram_web_base)
    indexer = Indexer(uow_factory, index, settings.index_batch_size)
    background = BackgroundIndexer(indexer)
    poller = ChannelPoller(
        uow_factory,
        source,
        background,
        interval=timedelta(minutes=settings.poll_interval_minutes),
        jitter=timedelta(seconds=settings.poll_jitter_seconds),
        max_posts=settings.backfill_posts,
    )
    dlq = build_dead_letters(settings, engine)
    quota = build_quota_services(
        settings,
        engine,
        uow_factory,
        index,
        reindex=lambda ids: background.kick(*ids),
        dead_letters=dlq,
    )
    interests = build_interest_services(settings, uow_factory, dead_letters=dlq)
    register_dead_letter_handlers(dlq, quota, interests)
    trends = build_trend_services(
        settings, uow_factory, interests=interests.trend_scorer(), metrics=quota.metrics
    )
    questions = build_question_service(
        settings, uow_factory, index, gate=quota.gate, metrics=quota.metrics
    )
    messages = build_message_delivery(settings, uow_factory, trends.limiter)
    return Container(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        index=index,
        source=source,
        indexer=indexer,
        background_indexer=background,
        poller=poller,
        subscriptions=SubscriptionService(
            poller,
            index,
            background,
            max_channels=settings.max_channels_per_chat,
            channel_limit=quota.gate.channel_limit,
        ),
        ingestor=ChannelPostIngestor(uow_factory, background),
        importer=ExportImporter(uow_factory),
        quota=quota,
        trends=trends,
        questions=questions,
        job_locks=build_job_locks(settings),
        dlq=dlq,
        interests=interests,
        messages=messages,
        watches=build_watch_services(settings, uow_factory, messages),
        digests=build_digest_service(
            settings,
            uow_factory,
            model=questions.chat_model,
            gate=quota.gate,
            interests=interests.trend_scorer(),
        ),
    )
