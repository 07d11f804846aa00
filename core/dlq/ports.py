"""Ports of the dead-letter queue: the backend, the sink jobs write to, retry handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from core.dlq.models import DeadLetter


class DeadLetterSink(Protocol):
    """Where a job puts a failure that exhausted its retries (`stream:<job>.failed`)."""

    async def add(self, stream: str, entry: dict[str, Any]) -> Any: ...


class DeadLetterQueue(Protocol):
    """A dead-letter backend: streams of entries, newest first."""

    async def add(self, stream: str, entry: Mapping[str, Any]) -> str:
        """Append an entry (the stream is capped); returns its id. Raises when the backend fails."""
        ...

    async def streams(self) -> dict[str, int]:
        """Every non-empty stream with its length."""
        ...

    async def length(self, stream: str) -> int: ...

    async def entries(self, stream: str, *, offset: int = 0, limit: int = 10) -> list[DeadLetter]:
        """A page of a stream's entries, newest first."""
        ...

    async def get(self, entry_id: str, stream: str | None = None) -> DeadLetter | None:
        """One entry by id (searched in every stream unless one is given)."""
        ...

    async def update(self, entry: DeadLetter, changes: Mapping[str, Any]) -> None:
        """Change fields of an entry in place (it keeps its id and position)."""
        ...

    async def remove(self, entry: DeadLetter) -> bool: ...

    async def purge(self, stream: str) -> int:
        """Delete a stream's entries; returns how many there were."""
        ...

    async def close(self) -> None: ...


RetryHandler = Callable[[DeadLetter], Awaitable[bool]]
"""Re-runs the failed work of an entry; True (or no exception) means it succeeded now."""


Redactor = Callable[[str], str]
