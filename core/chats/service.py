"""Chats come and go: a group becomes a supergroup, the bot is removed, blocked or re-added."""

from __future__ import annotations

import structlog

from core.ingest.indexing import BackgroundIndexer
from core.ports import UnitOfWorkFactory
from core.trends.ports import OutboxUnitOfWork

log = structlog.get_logger(__name__)


class ChatLifecycle:
    """Keeps tenants attached to their chats as Telegram reports changes."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory[OutboxUnitOfWork], indexer: BackgroundIndexer
    ) -> None:
        self._uow_factory = uow_factory
        self._indexer = indexer

    async def migrated(self, old_chat_id: int, new_chat_id: int) -> int | None:
        """The group `old_chat_id` is now the supergroup `new_chat_id`: move its tenant.

        Both service messages (migrate_to_chat_id in the old chat, migrate_from_chat_id in
        the new one) call this; whichever comes second finds nothing left to move.
        """
        if old_chat_id == new_chat_id:
            return None
        async with self._uow_factory() as uow:
            tenant_id = await uow.tenants.move_chat(old_chat_id, new_chat_id)
            await uow.trend_alerts.move_chat(old_chat_id, new_chat_id)
            await uow.commit()
        if tenant_id is not None:
            log.info("chat_migrated", old_chat_id=old_chat_id, new_chat_id=new_chat_id)
            self._indexer.kick(tenant_id)  # channels merged in from the old chat get indexed
        return tenant_id

    async def set_present(self, chat_id: int, present: bool) -> None:
        """The bot was added to (or removed from, or blocked in) a chat."""
        async with self._uow_factory() as uow:
            known = await uow.tenants.set_active(chat_id, present)
            await uow.commit()
        if known:
            log.info("chat_presence_changed", chat_id=chat_id, present=present)
