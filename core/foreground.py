"""Counts answers in progress, so background work (embedding) can give way to them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager


class ForegroundActivity:
    """In-process count of questions and searches being answered (the `ForegroundWork` port)."""

    def __init__(self) -> None:
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._last_end = float("-inf")

    @property
    def busy(self) -> bool:
        """True while at least one answer is in progress."""
        return self._active > 0

    @contextmanager
    def working(self) -> Iterator[None]:
        """Mark one answer in progress for the duration of the block."""
        self._active += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle.set()
                self._last_end = time.monotonic()

    @property
    def idle_seconds(self) -> float:
        """Seconds since the last answer finished (0 while one is in progress)."""
        return 0.0 if self._active else time.monotonic() - self._last_end

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no answer is in progress, at most `timeout` seconds; True when idle."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
