"""An outbox as a broadcaster sees it: claim a batch, then record each outcome.

Every message is a row written as pending before anything is sent. A broadcaster claims rows
under a lease, sends, and marks each one sent (or failed, or due again later) in its own
transaction, naming its claim, so a row is only ever recorded by the claim that owns it.
After a crash, the rows it held become claimable again when their lease ends; sent rows are
never claimed again. Trend alerts and prepared messages (digests, watch hits) share this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

import structlog

from core.clock import utc_now
from core.delivery.ports import OutboxRepository
from core.ports import TenantRepository, Transaction, UnitOfWorkFactory

log = structlog.get_logger(__name__)


class Deliverable(Protocol):
    """What the outbox needs to know of a claimed row."""

    @property
    def item_id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...

    @property
    def chat_id(self) -> int: ...


Item = TypeVar("Item", bound=Deliverable)


class TenantTransaction(Transaction, Protocol):
    """A unit of work that reaches the tenants too (a blocked or migrated chat changes them)."""

    @property
    def tenants(self) -> TenantRepository: ...


U = TypeVar("U", bound=TenantTransaction)


class Outbox(Generic[Item, U]):
    """Claims and records one outbox's rows through short units of work."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[U],
        repository: Callable[[U], OutboxRepository[Item]],
        *,
        on_blocked: Callable[[U, Item], Awaitable[None]],
        name: str,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._repository = repository
        self._on_blocked = on_blocked
        self.name = name
        self.lease = lease
        self.max_attempts = max_attempts
        self.clock = clock

    async def claim(self, token: str, limit: int) -> tuple[list[Item], datetime]:
        """Due rows for this claim, and when the claim's lease ends."""
        now = self.clock()
        until = now + self.lease
        async with self._uow_factory() as uow:
            items = await self._repository(uow).claim(token, now, until, limit)
            await uow.commit()
        return items, until

    async def release(self, token: str, item_ids: Sequence[int]) -> None:
        """Hand unsent rows back at once (a clean stop)."""
        async with self._uow_factory() as uow:
            await self._repository(uow).release(token, item_ids)
            await uow.commit()

    async def sent(self, item: Item, token: str, message_id: int | None) -> None:
        """Record that the row reached its chat."""
        async with self._uow_factory() as uow:
            recorded = await self._repository(uow).mark_sent(
                item.item_id, token, message_id, self.clock()
            )
            await uow.commit()
        if not recorded:
            log.warning("outbox_claim_lost", outbox=self.name, item_id=item.item_id)

    async def progress(self, item: Item, token: str, parts_sent: int) -> None:
        """Record that the first parts of a long message were delivered."""
        async with self._uow_factory() as uow:
            await self._repository(uow).progress(item.item_id, token, parts_sent)
            await uow.commit()

    async def failed(self, item: Item, token: str, error: str) -> None:
        """Give up on the row."""
        async with self._uow_factory() as uow:
            await self._repository(uow).mark_failed(item.item_id, token, error)
            await uow.commit()

    async def blocked(self, item: Item, token: str, error: str) -> None:
        """The chat blocked the bot (or removed it): give up, and stop what fills this outbox."""
        async with self._uow_factory() as uow:
            await self._repository(uow).mark_failed(item.item_id, token, error)
            await self._on_blocked(uow, item)
            await uow.tenants.set_active(item.chat_id, False)  # its channels stop polling
            await uow.commit()
        log.info("chat_blocked_bot", outbox=self.name, tenant_id=item.tenant_id)

    async def retry_later(self, item: Item, token: str, error: str, delay: timedelta) -> None:
        """Due again after `delay` (failed once its attempts are used up)."""
        async with self._uow_factory() as uow:
            await self._repository(uow).retry_later(
                item.item_id, token, error, self.clock() + delay, self.max_attempts
            )
            await uow.commit()

    async def migrated(self, item: Item, new_chat_id: int) -> bool:
        """The group became a supergroup: the tenant and its rows move to the new id.

        False when this row stayed behind: the new chat already has the same one.
        """
        async with self._uow_factory() as uow:
            await uow.tenants.move_chat(item.chat_id, new_chat_id)
            moved = await self._repository(uow).move_chat(item.chat_id, new_chat_id)
            await uow.commit()
        log.info("chat_migrated", old_chat_id=item.chat_id, new_chat_id=new_chat_id)
        return item.item_id in moved

    async def counts(self) -> dict[str, int]:
        """Rows per state."""
        async with self._uow_factory() as uow:
            return await self._repository(uow).counts()
