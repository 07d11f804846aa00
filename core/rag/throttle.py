"""Per-user question throttling: a sliding window of recent questions, in process memory."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    """A question over the limit: how long to wait, and whether the user was told already."""

    wait_seconds: int
    notify: bool  # only the first refusal of a window gets a reply, so floods stay silent


class UserRateLimiter:
    """At most `limit` questions per user in any `window` seconds."""

    _PRUNE_AT = 10_000  # users tracked before idle ones are dropped

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._told: dict[int, float] = {}

    def admit(self, user_id: int) -> Refusal | None:
        """Count a question; None when allowed, else a Refusal."""
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and now - asked[0] >= self.window:
            asked.popleft()
        if len(asked) < self.limit:
            asked.append(now)
            if len(self._asked) > self._PRUNE_AT:
                self._prune(now)
            return None
        oldest = asked[0]
        # One notice per full window: the window is known by its oldest question.
        notify = self._told.get(user_id, -math.inf) < oldest
        if notify:
            self._told[user_id] = oldest
        return Refusal(max(1, math.ceil(self.window - (now - oldest))), notify)

    def _prune(self, now: float) -> None:
        self._asked = {
            user: times for user, times in self._asked.items() if now - times[-1] < self.window
        }
        self._told = {user: at for user, at in self._told.items() if now - at < 2 * self.window}
