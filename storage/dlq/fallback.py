"""Redis first, SQL when Redis is down: a failure to record a failure is never silent or blocking."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol, TypeVar

import structlog

from core.dlq.models import DeadLetter
from core.dlq.ports import DeadLetterQueue

log = structlog.get_logger(__name__)

T = TypeVar("T")


class OwnedQueue(DeadLetterQueue, Protocol):
    """A backend that recognises its own entry ids."""

    def owns(self, entry_id: str) -> bool: ...


class FallbackDeadLetterQueue:
    """Writes to `primary` (Redis) within `timeout`; on any error to `fallback` (SQL), with a warning.

    Reads merge both, so entries written while Redis was down stay visible, retryable and
    purgeable; an unreachable primary only leaves its own entries out (with a warning).
    """

    def __init__(
        self,
        primary: OwnedQueue,
        fallback: OwnedQueue,
        *,
        timeout: float = 2.0,
        names: tuple[str, str] = ("redis", "sql"),
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._timeout = timeout
        self._names = names

    async def _primary_call(self, operation: str, call: Awaitable[T]) -> T:
        return await asyncio.wait_for(call, timeout=self._timeout)

    def _warn(self, operation: str, error: BaseException, **extra: Any) -> None:
        log.warning(
            "dlq_backend_failed",
            backend=self._names[0],
            fallback=self._names[1],
            operation=operation,
            error=f"{type(error).__name__}: {error}"[:300],
            **extra,
        )

    def _backend(self, entry_id: str) -> OwnedQueue:
        return self._fallback if self._fallback.owns(entry_id) else self._primary

    async def add(self, stream: str, entry: Mapping[str, Any]) -> str:
        """Redis, or SQL when Redis fails or does not answer in time."""
        try:
            return await self._primary_call("add", self._primary.add(stream, entry))
        except Exception as error:
            self._warn("add", error, stream=stream)
        return await self._fallback.add(stream, entry)

    async def streams(self) -> dict[str, int]:
        """Lengths of both backends added up."""
        merged = dict(await self._fallback.streams())
        try:
            primary = await self._primary_call("streams", self._primary.streams())
        except Exception as error:
            self._warn("streams", error)
            primary = {}
        for stream, length in primary.items():
            merged[stream] = merged.get(stream, 0) + length
        return merged

    async def length(self, stream: str) -> int:
        """Both backends' entries of a stream."""
        total = await self._fallback.length(stream)
        try:
            total += await self._primary_call("length", self._primary.length(stream))
        except Exception as error:
            self._warn("length", error, stream=stream)
        return total

    async def entries(self, stream: str, *, offset: int = 0, limit: int = 10) -> list[DeadLetter]:
        """Both backends' entries merged, newest first."""
        wanted = max(offset, 0) + limit
        letters = list(await self._fallback.entries(stream, offset=0, limit=wanted))
        try:
            letters += await self._primary_call(
                "entries", self._primary.entries(stream, offset=0, limit=wanted)
            )
        except Exception as error:
            self._warn("entries", error, stream=stream)
        letters.sort(key=lambda letter: letter.created_at, reverse=True)
        return letters[max(offset, 0) : wanted]

    async def get(self, entry_id: str, stream: str | None = None) -> DeadLetter | None:
        """From the backend the id belongs to."""
        backend = self._backend(entry_id)
        if backend is self._fallback:
            return await backend.get(entry_id, stream)
        return await self._primary_call("get", backend.get(entry_id, stream))

    async def update(self, entry: DeadLetter, changes: Mapping[str, Any]) -> None:
        """In the backend holding the entry."""
        backend = self._backend(entry.id)
        if backend is self._fallback:
            await backend.update(entry, changes)
        else:
            await self._primary_call("update", backend.update(entry, changes))

    async def remove(self, entry: DeadLetter) -> bool:
        """From the backend holding the entry."""
        backend = self._backend(entry.id)
        if backend is self._fallback:
            return await backend.remove(entry)
        return await self._primary_call("remove", backend.remove(entry))

    async def purge(self, stream: str) -> int:
        """Both backends (a failing primary is reported, the fallback still purged)."""
        removed = await self._fallback.purge(stream)
        try:
            removed += await self._primary_call("purge", self._primary.purge(stream))
        except Exception as error:
            self._warn("purge", error, stream=stream)
        return removed

    async def close(self) -> None:
        """Close both."""
        for backend in (self._primary, self._fallback):
            try:
                await backend.close()
            except Exception as error:
                log.warning("dlq_close_failed", error=type(error).__name__)
