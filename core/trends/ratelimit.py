"""Send-slot reservation under Telegram's limits (GCRA), in process memory.

Each send reserves the earliest moment that keeps every limit that applies: the bot's overall
rate, one message per second per chat, and 20 per minute per group. Slots are spaced evenly
(a theoretical-arrival-time per key), so a sliding one-second window never sees more than
the overall rate. `storage.ratelimit.RedisRateLimiter` does the same in Redis for several
processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


# After a 429 the whole bot pauses this long (a flood of 429s keeps extending it); only the
# chat it named waits the full retry_after, so one slow group does not stall a broadcast.
GLOBAL_PAUSE = 1.0


@dataclass(frozen=True, slots=True)
class SendLimits:
    """Telegram's broadcast limits, a little under the documented ones."""

    overall_per_second: float = 29.0
    per_chat_per_second: float = 1.0
    group_per_minute: float = 20.0

    @property
    def overall_interval(self) -> float:
        """Seconds between any two sends."""
        return 1.0 / self.overall_per_second

    def chat_interval(self, is_group: bool) -> float:
        """Seconds between two sends to the same chat."""
        private = 1.0 / self.per_chat_per_second
        return max(private, 60.0 / self.group_per_minute) if is_group else private


class LocalRateLimiter:
    """GCRA reservations in this process only (the default without Redis)."""

    _PRUNE_AT = 50_000  # chat entries kept before old ones are dropped

    def __init__(self, limits: SendLimits | None = None, clock: Callable[[], float] | None = None):
        self.limits = limits or SendLimits()
        self._clock = clock or time.monotonic
        self._overall = 0.0
        self._chats: dict[int, float] = {}

    async def reserve(self, chat_id: int, is_group: bool) -> float:
        """Take the next free slot for this chat; seconds to wait until it."""
        now = self._clock()
        start = max(now, self._overall, self._chats.get(chat_id, 0.0))
        self._overall = start + self.limits.overall_interval
        self._chats[chat_id] = start + self.limits.chat_interval(is_group)
        if len(self._chats) > self._PRUNE_AT:
            self._chats = {chat: at for chat, at in self._chats.items() if at > now}
        return start - now

    async def penalize(self, chat_id: int, seconds: float) -> None:
        """Nothing goes to this chat for `seconds`, and nothing at all for a moment."""
        now = self._clock()
        self._overall = max(self._overall, now + min(seconds, GLOBAL_PAUSE))
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), now + seconds)

    async def close(self) -> None:
        """Nothing to release."""
