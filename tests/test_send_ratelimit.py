"""Send-slot limiters: in memory with an injected clock, and shared through real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from adapters.ratelimit.local import LocalRateLimiter
from adapters.ratelimit.redis import RedisRateLimiter
from core.trends.models import GLOBAL_PAUSE, SendLimits

pytestmark = pytest.mark.redis

LIMITS = SendLimits(overall_per_second=10.0, chat_margin=0.0)  # slots 0.1 s apart


class Clock:
    """A clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_local_slots_keep_overall_and_per_chat_spacing() -> None:
    """Overall slots are 1/rate apart; one chat's sends 1 s apart; a waiting chat stalls no one."""
    clock = Clock()
    limiter = LocalRateLimiter(LIMITS, clock)
    waits = [await limiter.reserve(chat, False) for chat in (1, 2, 3)]
    assert waits == pytest.approx([0.0, 0.1, 0.2])
    second_to_one = await limiter.reserve(1, False)
    assert second_to_one == pytest.approx(1.0)
    assert await limiter.reserve(4, False) == pytest.approx(0.3)  # not pushed behind chat 1
    assert await limiter.reserve(5, True) == pytest.approx(0.4)
    assert await limiter.reserve(5, True) == pytest.approx(3.4)  # groups: 20 per minute


async def test_local_penalty_after_429() -> None:
    """After "retry after 5" that chat waits 5 s and everyone else a moment."""
    clock = Clock()
    limiter = LocalRateLimiter(LIMITS, clock)
    await limiter.penalize(1, 5)
    assert await limiter.reserve(1, False) == pytest.approx(5.0)
    assert await limiter.reserve(2, False) == pytest.approx(GLOBAL_PAUSE)


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[list[RedisRateLimiter]]:
    """Two limiters on separate connection pools: two processes sharing one Redis."""
    made = [RedisRateLimiter.from_url(redis_url, LIMITS) for _ in range(2)]
    yield made
    for limiter in made:
        await limiter.close()


async def test_redis_slots_are_shared_between_processes(
    limiters: list[RedisRateLimiter], redis_url: str
) -> None:
    """Concurrent reservations from two limiters take 40 distinct, consecutive overall slots."""
    waits = await asyncio.gather(*(limiters[n % 2].reserve(100 + n, False) for n in range(40)))
    client = redis.from_url(redis_url)
    try:
        keys = [key.decode() async for key in client.scan_iter("ratelimit:tg:slot:*")]
    finally:
        await client.aclose()
    slots = sorted(int(key.rsplit(":", 1)[1]) for key in keys)
    assert len(slots) == 40 and slots[-1] - slots[0] == 39  # one send per 0.1 s slot
    assert max(waits) >= 3.5  # the 40th send waits about 4 s (less the time the calls took)


async def test_redis_per_chat_spacing_and_penalty(
    limiters: list[RedisRateLimiter], redis_url: str
) -> None:
    """One chat gets a slot per second from either process; a 429 holds that chat back."""
    first, second = limiters
    started = time.monotonic()
    a = await first.reserve(7, False)
    b = await second.reserve(7, False)
    took = time.monotonic() - started
    # Each wait counts from the moment its limiter read the clock, somewhere inside its call, so
    # the two sends stand 1 s apart give or take the time the calls took (long on a loaded machine).
    assert b - a + took >= 1.0 - 0.05
    assert b - a <= 1.0 + 0.05
    other = await second.reserve(8, False)
    assert other < 0.5  # a different chat is not held back by chat 7's spacing
    await first.penalize(9, 30)
    assert await second.reserve(9, False) >= 29.0
    assert GLOBAL_PAUSE - 0.1 <= await first.reserve(10, False) <= GLOBAL_PAUSE + 0.3
