"""A unit of work: the repositories over one AsyncSession, committed together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.tenant_cache import TenantCache
from storage.repositories.channels import SqlChannelRepository
from storage.repositories.digests import SqlDigestRepository
from storage.repositories.embeddings import SqlEmbeddingRepository
from storage.repositories.interests import SqlInterestRepository
from storage.repositories.media import SqlMediaRepository
from storage.repositories.messages import SqlMessageOutboxRepository, SqlThreadRepository
from storage.repositories.posts import SqlPostRepository
from storage.repositories.questions import SqlQuestionRepository
from storage.repositories.quotas import SqlQuotaRepository
from storage.repositories.tenants import SqlTenantRepository, SqlUserRepository
from storage.repositories.trend_alerts import SqlTrendAlertRepository
from storage.repositories.trends import SqlTrendRepository
from storage.repositories.watches import SqlWatchRepository


class SqlUnitOfWork:
    """Repositories bound to one session; the caller decides when to commit."""

    def __init__(self, session: AsyncSession, tenant_cache: TenantCache | None = None) -> None:
        self.session = session
        self.tenants = SqlTenantRepository(session, tenant_cache)
        self.users = SqlUserRepository(session)
        self.channels = SqlChannelRepository(session)
        self.posts = SqlPostRepository(session)
        self.quotas = SqlQuotaRepository(session)
        self.media = SqlMediaRepository(session)
        self.trends = SqlTrendRepository(session)
        self.trend_alerts = SqlTrendAlertRepository(session)
        self.questions = SqlQuestionRepository(session)
        self.interests = SqlInterestRepository(session)
        self.messages = SqlMessageOutboxRepository(session)
        self.threads = SqlThreadRepository(session)
        self.watches = SqlWatchRepository(session)
        self.digests = SqlDigestRepository(session)
        self.embeddings = SqlEmbeddingRepository(session)

    async def commit(self) -> None:
        """Commit the transaction."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Roll the transaction back."""
        await self.session.rollback()


class UnitOfWorkFactory:
    """Opens a unit of work per use: `async with uow_factory() as uow: ...`."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], tenant_cache: TenantCache | None = None
    ) -> None:
        self._sessions = sessions
        # Sessions connect on their first query, so a handler that reads nothing costs none.
        self.tenant_cache = tenant_cache

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self._sessions() as session:
            try:
                yield SqlUnitOfWork(session, self.tenant_cache)
            except BaseException:
                await session.rollback()
                raise
