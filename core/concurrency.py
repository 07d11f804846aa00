"""Per-key concurrency slots: at most N holders per key (a user, a chat) at once, others wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedSlots:
    """At most `per_key` concurrent holders for each key; the rest wait their turn in order."""

    def __init__(self, per_key: int) -> None:
        if per_key < 1:
            raise ValueError("per_key must be at least 1")
        self._per_key = per_key
        self._slots: dict[Hashable, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Wait for one of the key's slots and hold it for the block."""
        semaphore, users = self._slots.setdefault(key, (asyncio.Semaphore(self._per_key), [0]))
        users[0] += 1  # waiting or holding: the semaphore is dropped once nobody needs it
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._slots.pop(key, None)
