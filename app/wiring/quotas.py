"""Wiring of the quotas feature: the budget gate and its token ledger, storage accounting, reports."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from core.extras import require
from core.media.ports import MediaStore
from core.metrics import Metrics
from core.ports import PostIndex, collection_name
from core.quotas.models import TenantLimits
from core.quotas.ports import TokenLedger
from core.quotas.report import QuotaReportService
from core.quotas.service import BudgetGate
from core.quotas.storage_usage import StorageQuotaService
from storage.budget import RedisTokenLedger, SqlTokenLedger
from storage.db import create_session_factory
from storage.repositories import UnitOfWorkFactory

Closer = Callable[[], Awaitable[None]]


@dataclass
class QuotaServices:
    """The budget gate every LLM call goes through, storage accounting and usage reports."""

    gate: BudgetGate
    storage_usage: StorageQuotaService
    report: QuotaReportService


def default_limits(settings: Settings) -> TenantLimits:
    """The limits of tenants without an override, from settings."""
    return TenantLimits(
        daily_tokens=settings.quota_daily_tokens,
        storage_bytes=settings.quota_storage_bytes,
        channels=settings.max_channels_per_chat,
        daily_questions=settings.quota_daily_questions,
    )


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


def build_budget_gate(
    settings: Settings, engine: AsyncEngine, uow_factory: UnitOfWorkFactory, metrics: Metrics
) -> tuple[BudgetGate, Closer | None]:
    """The gate over a Redis ledger (shared by processes) when REDIS_URL is set, else SQL;
    with what closes the ledger's connection."""
    if settings.redis_url:
        redis = require("redis.asyncio", "redis")
        client: Any = redis.from_url(settings.redis_url)
        ttl = settings.llm_reservation_ttl_seconds
        ledger: TokenLedger = RedisTokenLedger(client, reservation_ttl_seconds=ttl)
        close: Closer | None = client.aclose
    else:
        sessions = create_session_factory(engine)
        ledger = SqlTokenLedger(
            sessions, reservation_ttl_seconds=settings.llm_reservation_ttl_seconds
        )
        close = None
    return BudgetGate(uow_factory, ledger, default_limits(settings), metrics=metrics), close


def build_quota_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    index: PostIndex,
    store: MediaStore,
    gate: BudgetGate,
    metrics: Metrics,
) -> QuotaServices:
    """Storage accounting (the index's disk size measured when the index is embedded) and
    usage reports around the gate."""
    disk_size = None
    if not settings.qdrant_url:
        root = settings.qdrant_path
        disk_size = lambda tenant_id: directory_size(root / collection_name(tenant_id))  # noqa: E731
    storage_usage = StorageQuotaService(
        uow_factory, store, index, index_disk_size=disk_size, metrics=metrics
    )
    return QuotaServices(
        gate=gate, storage_usage=storage_usage, report=QuotaReportService(uow_factory, gate)
    )
