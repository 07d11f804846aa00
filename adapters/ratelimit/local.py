"""Send-slot reservation under Telegram's limits, in process memory.

Each send reserves the earliest moment that keeps every limit that applies: the bot's overall
rate, one message per second per chat, and 20 per minute per group. Overall slots are spaced
evenly (1/rate apart, one send each), so a sliding one-second window never sees more than the
overall rate; per chat, a next-allowed moment (GCRA). `adapters.ratelimit.redis.RedisRateLimiter`
does the same in Redis for several processes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from core.trends.models import GLOBAL_PAUSE, SendLimits


class LocalRateLimiter:
    """Send slots in this process only (the default without Redis).

    The overall rate is a calendar of slots `overall_interval` apart, one send each; a send
    takes the first free slot at or after its chat's next allowed moment. A chat that must
    wait therefore never holds back sends to other chats.
    """

    _PRUNE_AT = 50_000  # chat entries kept before old ones are dropped

    def __init__(self, limits: SendLimits | None = None, clock: Callable[[], float] | None = None):
        self.limits = limits or SendLimits()
        self._clock = clock or time.monotonic
        self._pause = 0.0  # no send at all before this moment (after a 429)
        self._taken: set[int] = set()  # overall slots already given out
        self._chats: dict[int, float] = {}

    async def reserve(self, chat_id: int, is_group: bool) -> float:
        """Take the next free slot for this chat; seconds to wait until it."""
        now = self._clock()
        interval = self.limits.overall_interval
        earliest = max(now, self._pause, self._chats.get(chat_id, 0.0))
        slot = math.ceil(earliest / interval)
        while slot in self._taken:
            slot += 1
        self._taken.add(slot)
        start = slot * interval
        self._chats[chat_id] = start + self.limits.chat_interval(is_group)
        if len(self._taken) > self._PRUNE_AT or len(self._chats) > self._PRUNE_AT:
            past = math.floor(now / interval)
            self._taken = {taken for taken in self._taken if taken >= past}
            self._chats = {chat: at for chat, at in self._chats.items() if at > now}
        return start - now

    async def penalize(self, chat_id: int, seconds: float) -> None:
        """Nothing goes to this chat for `seconds`, and nothing at all for a moment."""
        now = self._clock()
        self._pause = max(self._pause, now + min(seconds, GLOBAL_PAUSE))
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), now + seconds)

    async def close(self) -> None:
        """Nothing to release."""
