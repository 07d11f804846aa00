"""Wiring of the dead-letter queue: Redis stream with a SQL fallback, or the SQL table alone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.logs import SecretRedactor
from app.settings import Settings
from core.dlq.ports import DeadLetterQueue
from core.dlq.service import DeadLetterService
from storage.db import create_session_factory
from storage.dlq import FallbackDeadLetterQueue, RedisDeadLetterQueue, SqlDeadLetterQueue


def build_dead_letter_queue(settings: Settings, engine: AsyncEngine) -> DeadLetterQueue:
    """`REDIS_URL` set: Redis streams, falling back to SQL when Redis fails; else the SQL table."""
    sql = SqlDeadLetterQueue(create_session_factory(engine), max_entries=settings.dlq_max_entries)
    if not settings.redis_url:
        return sql
    redis = RedisDeadLetterQueue.from_url(
        settings.redis_url,
        max_entries=settings.dlq_max_entries,
        timeout=settings.dlq_timeout_seconds,
    )
    return FallbackDeadLetterQueue(redis, sql, timeout=settings.dlq_timeout_seconds)


def build_dead_letters(settings: Settings, engine: AsyncEngine) -> DeadLetterService:
    """The DLQ service; texts it stores and shows have every configured secret masked."""
    redactor = SecretRedactor(settings.secrets())
    return DeadLetterService(build_dead_letter_queue(settings, engine), redact=redactor.redact)
