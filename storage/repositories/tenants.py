"""Tenants (one per chat) and users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.models import Tenant, UserContact
from core.tenant_cache import TenantCache
from storage.models import SubscriptionRow, TenantRow, UserRow
from storage.repositories._upsert import upsert


def to_tenant(row: TenantRow) -> Tenant:
    """Map a row to its DTO."""
    return Tenant(
        id=row.id,
        chat_id=row.chat_id,
        kind=row.kind,
        title=row.title,
        language=row.language,
        alerts_enabled=row.alerts_enabled,
        language_chosen=row.language_chosen,
        active=row.active,
    )


class SqlTenantRepository:
    """Tenants in SQL; changes make the bot's tenant cache forget the tenant."""

    def __init__(self, session: AsyncSession, cache: TenantCache | None = None) -> None:
        self._session = session
        self._cache = cache

    async def get_or_create(
        self, chat_id: int, kind: str, title: str | None, language: str
    ) -> Tenant:
        """Return the chat's tenant, creating it on first contact (race-safe)."""
        statement = upsert(
            self._session,
            TenantRow.__table__,
            keys=["chat_id"],
            update=[],
        ).values(
            chat_id=chat_id,
            kind=kind,
            title=title,
            language=language,
            alerts_enabled=True,
            created_at=utc_now(),
        )
        await self._session.execute(statement)
        row = await self._session.scalar(select(TenantRow).where(TenantRow.chat_id == chat_id))
        assert row is not None
        return to_tenant(row)

    async def lock(self, tenant_id: int) -> None:
        """Hold the tenant's row until the transaction ends: its limit checks and index
        bookkeeping run one at a time (a row lock on PostgreSQL, the write lock on SQLite)."""
        await self._session.execute(
            update(TenantRow).where(TenantRow.id == tenant_id).values(chat_id=TenantRow.chat_id)
        )

    async def by_chat_id(self, chat_id: int) -> Tenant | None:
        """The tenant of a chat, if the bot has met it."""
        row = await self._session.scalar(select(TenantRow).where(TenantRow.chat_id == chat_id))
        return to_tenant(row) if row else None

    async def by_id(self, tenant_id: int) -> Tenant | None:
        """A tenant by id."""
        row = await self._session.get(TenantRow, tenant_id)
        return to_tenant(row) if row else None

    async def list_all(self) -> list[Tenant]:
        """Every tenant, oldest first."""
        rows = await self._session.scalars(select(TenantRow).order_by(TenantRow.id))
        return [to_tenant(row) for row in rows]

    def _changed(self, tenant_id: int) -> None:
        if self._cache is not None:
            self._cache.forget_tenant(tenant_id)

    def _moved(self, *chat_ids: int) -> None:
        if self._cache is not None:
            for chat_id in chat_ids:
                self._cache.forget_chat(chat_id)

    async def set_alerts(self, tenant_id: int, enabled: bool) -> None:
        """Turn trend alerts on or off for a chat."""
        self._changed(tenant_id)
        await self._session.execute(
            update(TenantRow).where(TenantRow.id == tenant_id).values(alerts_enabled=enabled)
        )

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """Record whether the bot is still in the chat; False when the chat is unknown."""
        self._moved(chat_id)
        result = await self._session.execute(
            update(TenantRow).where(TenantRow.chat_id == chat_id).values(active=active)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int | None:
        """A group became a supergroup: its tenant (subscriptions, index, history) follows the
        new chat id; returns the tenant id now serving the new chat (None: old chat unknown).

        A tenant already made for the new chat that follows nothing (the first update from the
        supergroup creates one) gives way; an empty tenant left for the old chat is dropped.
        When both follow channels, the old one's subscriptions join the new one (indexed there
        by the next indexing run) and the old tenant goes; its index collection is left unused.
        """
        self._moved(old_chat_id, new_chat_id)
        both = TenantRow.chat_id.in_([old_chat_id, new_chat_id])
        # Both service messages may be handled at once: lock the two rows (in one order, so two
        # movers never deadlock) before reading them.
        for chat_id in sorted({old_chat_id, new_chat_id}):
            await self._session.execute(
                update(TenantRow)
                .where(TenantRow.chat_id == chat_id)
                .values(chat_id=TenantRow.chat_id)
            )
        rows: dict[int, int] = {
            row.chat_id: row.id
            for row in await self._session.execute(
                select(TenantRow.chat_id, TenantRow.id).where(both)
            )
        }
        old, new = rows.get(old_chat_id), rows.get(new_chat_id)
        if old is None:
            return None
        if new is not None and await self._follows_nothing(new):
            await self._session.execute(delete(TenantRow).where(TenantRow.id == new))
            new = None
        if new is None:
            await self._session.execute(
                update(TenantRow)
                .where(TenantRow.id == old)
                .values(chat_id=new_chat_id, kind="supergroup")
            )
            return old
        if not await self._follows_nothing(old):
            await self._merge_subscriptions(old, new)
        await self._session.execute(delete(TenantRow).where(TenantRow.id == old))
        return new

    async def _follows_nothing(self, tenant_id: int) -> bool:
        found = await self._session.scalar(
            select(SubscriptionRow.id).where(SubscriptionRow.tenant_id == tenant_id).limit(1)
        )
        return found is None

    async def _merge_subscriptions(self, from_tenant: int, to_tenant: int) -> None:
        followed = select(SubscriptionRow.channel_id).where(SubscriptionRow.tenant_id == to_tenant)
        await self._session.execute(
            update(SubscriptionRow)
            .where(
                SubscriptionRow.tenant_id == from_tenant,
                SubscriptionRow.channel_id.not_in(followed),
            )
            .values(tenant_id=to_tenant)
            .execution_options(synchronize_session=False)
        )

    async def set_language(self, tenant_id: int, language: str) -> None:
        """Remember the language the chat chose (/lang); it then wins over users' clients."""
        self._changed(tenant_id)
        await self._session.execute(
            update(TenantRow)
            .where(TenantRow.id == tenant_id)
            .values(language=language, language_chosen=True)
        )


class SqlUserRepository:
    """Users in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def touch(
        self, user_id: int, username: str | None, first_name: str | None, language: str | None
    ) -> None:
        """Create or refresh a user on each contact."""
        await self.touch_many([UserContact(user_id, username, first_name, language, utc_now())])

    async def touch_many(self, contacts: Sequence[UserContact]) -> None:
        """Create or refresh several users at once (the latest contact of each wins)."""
        latest = {contact.user_id: contact for contact in contacts}
        if not latest:
            return
        statement = upsert(
            self._session,
            UserRow.__table__,
            keys=["id"],
            update=["username", "first_name", "language_code", "last_seen_at"],
        ).values(
            [
                {
                    "id": contact.user_id,
                    "username": contact.username,
                    "first_name": contact.first_name,
                    "language_code": contact.language,
                    "created_at": contact.at,
                    "last_seen_at": contact.at,
                }
                for contact in latest.values()
            ]
        )
        await self._session.execute(statement)
