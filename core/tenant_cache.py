"""Tenants and users the bot met recently, so an update does not write them again.

Every update used to upsert its chat's tenant and its user and commit before any handler ran.
This cache keeps the tenant for `ttl` seconds and remembers which user details were stored;
the tenant repository forgets a tenant whenever it changes one (alerts, language, ...), and
the TTL bounds how long a change made by another process (the jobs' outbox) goes unseen.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from core.models import Tenant

K = TypeVar("K")
V = TypeVar("V")
UserDetails = tuple[str | None, str | None, str | None]  # username, first name, language


class TenantCache:
    """A bounded LRU of tenants by chat id and of stored user details, each with a TTL."""

    def __init__(
        self,
        ttl: float = 30.0,
        *,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max(1, max_entries)
        self._clock = clock
        self._tenants: OrderedDict[int, tuple[float, Tenant]] = OrderedDict()
        self._users: OrderedDict[int, tuple[float, UserDetails]] = OrderedDict()

    def tenant(self, chat_id: int) -> Tenant | None:
        """The cached tenant of a chat, while fresh."""
        return self._fresh(self._tenants, chat_id)

    def keep_tenant(self, tenant: Tenant) -> None:
        """Remember a tenant just read from the database."""
        self._keep(self._tenants, tenant.chat_id, tenant)

    def forget_tenant(self, tenant_id: int) -> None:
        """Drop a tenant that changed (the next update reads it again)."""
        for chat_id, (_, tenant) in list(self._tenants.items()):
            if tenant.id == tenant_id:
                del self._tenants[chat_id]

    def forget_chat(self, chat_id: int) -> None:
        """Drop a chat's tenant (it moved, left or came back)."""
        self._tenants.pop(chat_id, None)

    def user_stored(self, user_id: int, details: UserDetails) -> bool:
        """Whether these details of the user were stored recently."""
        return self._fresh(self._users, user_id) == details

    def keep_user(self, user_id: int, details: UserDetails) -> None:
        """Remember the user details just stored."""
        self._keep(self._users, user_id, details)

    def _fresh(self, entries: OrderedDict[K, tuple[float, V]], key: K) -> V | None:
        entry = entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry[0] >= self._ttl:
            del entries[key]
            return None
        entries.move_to_end(key)
        return entry[1]

    def _keep(self, entries: OrderedDict[K, tuple[float, V]], key: K, value: V) -> None:
        if self._ttl <= 0:
            return
        entries[key] = (self._clock(), value)
        entries.move_to_end(key)
        while len(entries) > self._max:
            entries.popitem(last=False)
