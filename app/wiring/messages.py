"""Wiring of the message outbox that digests and watch hits share, and its broadcaster."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from app.settings import Settings
from core.delivery.models import OutboxMessage
from core.delivery.outbox import Outbox
from core.delivery.ports import MessageOutboxRepository
from core.digests.ports import DigestRepository
from core.ports import TenantRepository, Transaction, UnitOfWorkFactory
from core.trends.ports import SendRateLimiter
from core.watches.ports import WatchRepository

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.broadcast import OutboxBroadcaster


class DeliveryUnitOfWork(Transaction, Protocol):
    """What delivering prepared messages reads and writes (a blocked chat's features too)."""

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def messages(self) -> MessageOutboxRepository: ...

    @property
    def digests(self) -> DigestRepository: ...

    @property
    def watches(self) -> WatchRepository: ...


def _messages(uow: DeliveryUnitOfWork) -> MessageOutboxRepository:
    return uow.messages


async def drop_blocked_chat(uow: DeliveryUnitOfWork, message: OutboxMessage) -> None:
    """A chat that blocked the bot gets no more digests, watch hits or queued messages."""
    await uow.digests.turn_off(message.tenant_id)
    await uow.watches.delete_all(message.tenant_id)
    await uow.messages.fail_pending(message.chat_id, "the chat blocked the bot")


@dataclass
class MessageDelivery:
    """The outbox of prepared messages and one broadcaster per bot."""

    outbox: Outbox[OutboxMessage, DeliveryUnitOfWork]
    limiter: SendRateLimiter  # shared with trend alerts: one budget per chat and overall
    _broadcasters: dict[int, OutboxBroadcaster[OutboxMessage]] = field(default_factory=dict)

    def broadcaster(self, bot: Bot) -> OutboxBroadcaster[OutboxMessage]:
        """The broadcaster sending this outbox through `bot`."""
        from bot.broadcast import OutboxBroadcaster, message_parts

        found = self._broadcasters.get(id(bot))
        if found is None:
            found = OutboxBroadcaster(bot, self.outbox, self.limiter, message_parts)
            self._broadcasters[id(bot)] = found
        return found


def build_message_delivery(
    settings: Settings,
    uow_factory: UnitOfWorkFactory[DeliveryUnitOfWork],
    limiter: SendRateLimiter,
) -> MessageDelivery:
    """The message outbox with the trend alerts' lease and send limiter."""
    outbox: Outbox[OutboxMessage, DeliveryUnitOfWork] = Outbox(
        uow_factory,
        _messages,
        on_blocked=drop_blocked_chat,
        name="messages",
        lease=timedelta(seconds=settings.alerts_lease_seconds),
    )
    return MessageDelivery(outbox, limiter)
