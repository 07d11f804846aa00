"""Ports of keyword watches: their storage, and how a chat's hits become message parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from core.delivery.ports import MessageOutboxRepository
from core.ports import Transaction
from core.watches.models import WatchCursor, WatchHit, WatchPost, WatchTenant


class WatchRepository(Protocol):
    """Watches, the matching cursor over stored posts, and who follows which channel."""

    async def add(
        self, tenant_id: int, expression: str, user_id: int | None, now: datetime
    ) -> int: ...

    async def for_tenant(self, tenant_id: int) -> list[tuple[int, str]]:
        """(id, expression) of a chat's watches, oldest first."""
        ...

    async def delete(self, tenant_id: int, watch_id: int) -> bool: ...

    async def delete_all(self, tenant_id: int) -> int: ...

    async def everything(self) -> list[tuple[int, int, str]]:
        """(id, tenant id, expression) of every watch."""
        ...

    async def signature(self) -> tuple[int, int]:
        """Changes whenever a watch is added or removed (count, highest id)."""
        ...

    async def cursor(self) -> WatchCursor | None:
        """How far matching got, None before the first watch."""
        ...

    async def move_cursor(
        self, old: int | None, new: int, gaps: dict[int, datetime] | None = None
    ) -> bool:
        """Move the cursor from `old` to `new` with its gaps; False when another process
        moved it first."""
        ...

    async def newest_post_id(self) -> int: ...

    async def posts_after(
        self, post_id: int, limit: int, also: Sequence[int] = ()
    ) -> list[WatchPost]:
        """Stored posts with a higher id, in id order, and those of the `also` ids stored now."""
        ...

    async def followers(self, channel_ids: Sequence[int]) -> dict[int, list[WatchTenant]]:
        """Per channel, the chats following it that have watches."""
        ...


# Turns a chat's hits (in its language) into message parts, HTML within Telegram's limit.
WatchHitRenderer = Callable[[str, Sequence[WatchHit]], list[str]]


class WatchesUnitOfWork(Transaction, Protocol):
    """What watches and their matching read and write."""

    @property
    def watches(self) -> WatchRepository: ...

    @property
    def messages(self) -> MessageOutboxRepository: ...
