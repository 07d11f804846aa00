"""Ports of delivery: an outbox's storage, as the generic outbox service drives it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from core.delivery.models import HeldMessage, MessageKind, NewMessage, OutboxMessage

Item = TypeVar("Item")


class OutboxRepository(Protocol[Item]):
    """Rows written as pending, claimed under a lease, marked by the claim that owns them."""

    async def claim(self, token: str, now: datetime, until: datetime, limit: int) -> list[Item]: ...

    async def release(self, token: str, item_ids: Sequence[int]) -> None: ...

    async def mark_sent(
        self, item_id: int, token: str, message_id: int | None, now: datetime
    ) -> bool: ...

    async def mark_failed(self, item_id: int, token: str, error: str) -> None: ...

    async def retry_later(
        self, item_id: int, token: str, error: str, at: datetime, max_attempts: int
    ) -> None: ...

    async def progress(self, item_id: int, token: str, parts_sent: int) -> None:
        """Record that the first `parts_sent` parts reached the chat (multi-part rows)."""
        ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> set[int]:
        """Move the tenant and the chat's rows to the new id; returns the moved row ids."""
        ...

    async def counts(self) -> dict[str, int]: ...


class MessageOutboxRepository(OutboxRepository[OutboxMessage], Protocol):
    """The outbox of prepared messages (digests, watch hits)."""

    async def enqueue(self, messages: Sequence[NewMessage], now: datetime) -> int: ...

    async def created_since(self, chat_id: int, kind: MessageKind, since: datetime) -> int:
        """How many messages of this kind the chat got (or has queued) since a moment."""
        ...

    async def last_due(self, chat_id: int, kind: MessageKind) -> datetime | None:
        """When the chat's latest message of this kind was (or is) due to go out."""
        ...

    async def held(self, chat_id: int, kind: MessageKind, now: datetime) -> HeldMessage | None:
        """The chat's queued message of this kind that is not due before `now`, if any."""
        ...

    async def regroup(
        self, item_id: int, parts: list[str], payload: list[dict[str, Any]], now: datetime
    ) -> bool:
        """Replace a held message's content; False when it became due (or was claimed) meanwhile."""
        ...

    async def fail_pending(self, chat_id: int, error: str) -> int:
        """Give up every unsent message of a chat (it blocked the bot)."""
        ...


class ThreadRepository(Protocol):
    """The forum topic each feature of a chat posts into."""

    async def set(self, tenant_id: int, feature: str, thread_id: int | None) -> None: ...

    async def get(self, tenant_id: int, feature: str) -> int | None: ...
