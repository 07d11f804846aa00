"""Send-slot reservation shared by every process through Redis (the same scheme as in memory).

One Lua script reserves a slot atomically against Redis' own clock, so processes on different
machines agree on time and never hand out the same slot twice. Slot keys are built inside the
script, so this needs a single Redis (not a cluster).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from core.trends.models import GLOBAL_PAUSE, SendLimits

# KEYS: pause, chat. ARGV: overall interval, chat interval, chat key ttl (ms), slot prefix,
# slot ttl after its moment (ms). Takes the first free overall slot (one key per slot) at or after the chat's
# next allowed moment. Returns the wait in seconds as a string (Lua would truncate a number).
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval = tonumber(ARGV[1])
local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
local chat = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.ceil(math.max(now, pause, chat) / interval)
local function take(number)
  local ttl = math.max(0, math.floor((number * interval - now) * 1000)) + tonumber(ARGV[5])
  return redis.call('SET', ARGV[4] .. string.format('%d', number), '1', 'NX', 'PX', ttl)
end
while not take(slot) do
  slot = slot + 1
end
local start = slot * interval
redis.call('SET', KEYS[2], string.format('%.6f', start + tonumber(ARGV[2])), 'PX', ARGV[3])
return string.format('%.6f', start - now)
"""

# KEYS: pause, chat. ARGV: overall pause, chat pause, key ttl (ms).
_PENALIZE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
for index = 1, 2 do
  local current = tonumber(redis.call('GET', KEYS[index]) or '0')
  local wanted = now + tonumber(ARGV[index])
  if wanted > current then
    redis.call('SET', KEYS[index], string.format('%.6f', wanted), 'PX', ARGV[3])
  end
end
return 1
"""


class RedisRateLimiter:
    """GCRA reservations in Redis, shared between processes."""

    def __init__(
        self, client: Any, limits: SendLimits | None = None, *, prefix: str = "ratelimit:tg"
    ) -> None:
        self.limits = limits or SendLimits()
        self._client = client
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._penalize = client.register_script(_PENALIZE)

    @classmethod
    def from_url(cls, url: str, limits: SendLimits | None = None) -> RedisRateLimiter:
        """A limiter on the Redis at `url`."""
        return cls(redis.from_url(url), limits)

    def _keys(self, chat_id: int) -> list[str]:
        return [f"{self._prefix}:pause", f"{self._prefix}:chat:{chat_id}"]

    def _ttl_ms(self, seconds: float) -> int:
        return int((seconds + 120) * 1000)

    async def reserve(self, chat_id: int, is_group: bool) -> float:
        """Take the next free slot for this chat; seconds to wait until it."""
        chat_interval = self.limits.chat_interval(is_group)
        wait = await self._reserve(
            keys=self._keys(chat_id),
            args=[
                self.limits.overall_interval,
                chat_interval,
                self._ttl_ms(chat_interval),
                f"{self._prefix}:slot:",
                self._ttl_ms(0),
            ],
        )
        return float(wait)

    async def penalize(self, chat_id: int, seconds: float) -> None:
        """Nothing goes to this chat for `seconds`, and nothing at all for a moment."""
        await self._penalize(
            keys=self._keys(chat_id),
            args=[min(seconds, GLOBAL_PAUSE), seconds, self._ttl_ms(seconds)],
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
