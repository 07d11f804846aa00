"""Helpers for the quotas feature's tests: a migrated database, tenants, a settable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from core.models import PostDraft, SourceKind
from core.quotas.models import TenantLimits
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_async
from storage.repositories import UnitOfWorkFactory


@dataclass
class Database:
    """A migrated database with its engine and unit-of-work factory."""

    url: str
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory


@asynccontextmanager
async def migrated(url: str) -> AsyncIterator[Database]:
    """Upgrade the schema of `url` and open it; the engine is disposed afterwards."""
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        yield Database(url, engine, UnitOfWorkFactory(create_session_factory(engine)))
    finally:
        await engine.dispose()


async def make_tenants(uow_factory: UnitOfWorkFactory, *chat_ids: int) -> list[int]:
    """Create one tenant per chat id; returns their ids."""
    async with uow_factory() as uow:
        ids = [
            (await uow.tenants.get_or_create(chat_id, "private", f"chat {chat_id}", "en")).id
            for chat_id in chat_ids
        ]
        await uow.commit()
    return ids


async def make_channel_with_posts(
    uow_factory: UnitOfWorkFactory,
    tenant_ids: Sequence[int],
    username: str,
    drafts: Sequence[PostDraft],
    source: SourceKind = SourceKind.WEB_PREVIEW,
) -> int:
    """A channel with posts that every given tenant subscribes to; returns the channel id."""
    async with uow_factory() as uow:
        channel = await uow.channels.create(
            username=username, title=username.title(), source=source, telegram_id=None
        )
        await uow.posts.upsert_many(channel.id, list(drafts))
        for tenant_id in tenant_ids:
            await uow.channels.subscribe(tenant_id, channel.id, None)
        await uow.commit()
    return channel.id


def limits(**values: int) -> TenantLimits:
    """Default limits for tests, generous unless told otherwise."""
    base = {"daily_tokens": 10_000, "storage_bytes": 0, "channels": 10, "daily_questions": 0}
    return TenantLimits(**{**base, **values})


class Clock:
    """A settable UTC clock for day-boundary tests."""

    def __init__(self, moment: datetime | None = None) -> None:
        self.moment = moment or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.moment += timedelta(**delta)
