"""Named leases that keep one job run at a time across processes (the `JobLocks` port)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class JobLocks(Protocol):
    """Hands out a lease per name; at most one holder at a time, anywhere."""

    def hold(self, name: str, ttl_seconds: float) -> AbstractAsyncContextManager[bool]:
        """Enter to try the lease without waiting: True when held until exit, False when taken.

        `ttl_seconds` bounds how long a crashed holder keeps it; live holders keep renewing.
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
