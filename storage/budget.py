"""Token ledgers behind the budget gate: a SQL table, or Redis shared between processes.

Each reservation is its own record with an expiry (`reservation_ttl_seconds`): a process that
crashes between reserving and settling holds those tokens only until the record expires, and
`reserved` always means the sum of unexpired reservations. Both reserve atomically: SQL locks
the tenant's day row with an UPDATE first (PostgreSQL row lock; SQLite runs writers one at a
time), Redis runs a Lua script.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import utc_now
from storage.models.quotas import TenantTokenUsageRow, TokenReservationRow
from storage.repositories._upsert import upsert

_TABLE = TenantTokenUsageRow
_HOLDS = TokenReservationRow
DEFAULT_RESERVATION_TTL_SECONDS = 600.0


class SqlTokenLedger:
    """Token counters in `tenant_token_usage` (one row per tenant and UTC day) and the
    reservations in flight in `token_reservations`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        reservation_ttl_seconds: float = DEFAULT_RESERVATION_TTL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._ttl = timedelta(seconds=reservation_ttl_seconds)

    async def try_reserve(
        self, tenant_id: int, day: date, tokens: int, limit: int, *, now: datetime | None = None
    ) -> str | None:
        """Reserve unless used + live reservations + tokens > limit (0 = no limit)."""
        now = now or utc_now()
        async with self._sessions() as session:
            await self._ensure_row(session, tenant_id, day)
            await self._lock_day(session, tenant_id, day, now)
            await session.execute(
                delete(_HOLDS).where(
                    _HOLDS.tenant_id == tenant_id, _HOLDS.day == day, _HOLDS.expires_at <= now
                )
            )
            live = await self._live(session, tenant_id, day, now)
            used = await session.scalar(
                select(_TABLE.used_tokens).where(_TABLE.tenant_id == tenant_id, _TABLE.day == day)
            )
            if limit > 0 and int(used or 0) + live + tokens > limit:
                await session.commit()
                return None
            reservation = uuid.uuid4().hex
            session.add(
                _HOLDS(
                    id=reservation,
                    tenant_id=tenant_id,
                    day=day,
                    tokens=tokens,
                    expires_at=now + self._ttl,
                )
            )
            await session.execute(
                update(_TABLE)
                .where(_TABLE.tenant_id == tenant_id, _TABLE.day == day)
                .values(reserved_tokens=live + tokens)
            )
            await session.commit()
            return reservation

    async def settle(
        self,
        tenant_id: int,
        day: date,
        reservation: str,
        actual: int,
        *,
        now: datetime | None = None,
    ) -> int:
        """Drop the reservation (expired or not) and count the actual tokens; returns the day's used."""
        now = now or utc_now()
        async with self._sessions() as session:
            await self._ensure_row(session, tenant_id, day)
            await self._lock_day(session, tenant_id, day, now)
            await session.execute(delete(_HOLDS).where(_HOLDS.id == reservation))
            live = await self._live(session, tenant_id, day, now)
            used = await session.scalar(
                update(_TABLE)
                .where(_TABLE.tenant_id == tenant_id, _TABLE.day == day)
                .values(used_tokens=_TABLE.used_tokens + actual, reserved_tokens=live)
                .returning(_TABLE.used_tokens)
            )
            await session.commit()
            return int(used or 0)

    async def usage(
        self, tenant_ids: Sequence[int], day: date, *, now: datetime | None = None
    ) -> dict[int, tuple[int, int]]:
        """(used, reserved by unexpired reservations) per tenant on a day."""
        if not tenant_ids:
            return {}
        now = now or utc_now()
        ids = list(tenant_ids)
        async with self._sessions() as session:
            rows = await session.execute(
                select(_TABLE.tenant_id, _TABLE.used_tokens).where(
                    _TABLE.tenant_id.in_(ids), _TABLE.day == day
                )
            )
            used = {int(tenant_id): int(tokens) for tenant_id, tokens in rows}
            held = await session.execute(
                select(_HOLDS.tenant_id, func.sum(_HOLDS.tokens))
                .where(_HOLDS.tenant_id.in_(ids), _HOLDS.day == day, _HOLDS.expires_at > now)
                .group_by(_HOLDS.tenant_id)
            )
            reserved = {int(tenant_id): int(tokens or 0) for tenant_id, tokens in held}
        return {
            tenant_id: (used.get(tenant_id, 0), reserved.get(tenant_id, 0))
            for tenant_id in ids
            if tenant_id in used or tenant_id in reserved
        }

    @staticmethod
    async def _ensure_row(session: AsyncSession, tenant_id: int, day: date) -> None:
        statement = upsert(session, _TABLE.__table__, keys=["tenant_id", "day"], update=[]).values(
            tenant_id=tenant_id, day=day, used_tokens=0, reserved_tokens=0, updated_at=utc_now()
        )
        await session.execute(statement)

    @staticmethod
    async def _lock_day(session: AsyncSession, tenant_id: int, day: date, now: datetime) -> None:
        # Everything after this UPDATE runs with the day's row locked until commit.
        await session.execute(
            update(_TABLE)
            .where(_TABLE.tenant_id == tenant_id, _TABLE.day == day)
            .values(updated_at=now)
        )

    @staticmethod
    async def _live(session: AsyncSession, tenant_id: int, day: date, now: datetime) -> int:
        total = await session.scalar(
            select(func.coalesce(func.sum(_HOLDS.tokens), 0)).where(
                _HOLDS.tenant_id == tenant_id, _HOLDS.day == day, _HOLDS.expires_at > now
            )
        )
        return int(total or 0)


# Reservations live in a sorted set `<day key>:holds`: member "<id>:<tokens>", score = expiry.
# KEYS = the day's hash, its holds; ARGV = tokens, limit (0 = none), key ttl, now, expiry, id.
_LIVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
local live = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  live = live + tonumber(string.match(member, ':(%d+)$'))
end
"""  # drops expired holds, sums the rest into `live`

_RESERVE = (
    _LIVE
    + """
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local tokens = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit > 0 and used + live + tokens > limit then
  redis.call('HSET', KEYS[1], 'reserved', live)
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6] .. ':' .. ARGV[1])
redis.call('HSET', KEYS[1], 'reserved', live + tokens)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
"""
)

# KEYS = the day's hash, its holds; ARGV = reservation member, actual tokens, key ttl, now.
_SETTLE = (
    """
redis.call('ZREM', KEYS[2], ARGV[1])
"""
    + _LIVE
    + """
redis.call('HSET', KEYS[1], 'reserved', live)
local used = redis.call('HINCRBY', KEYS[1], 'used', tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return used
"""
)


class RedisTokenLedger:
    """Token counters in Redis hashes (`tgassist:budget:<tenant>:<day>`), shared by all processes,
    with the reservations in flight in a sorted set beside each (`...:holds`)."""

    KEY_TTL_SECONDS = 3 * 24 * 3600  # a finished day is kept a little for /quota and debugging

    def __init__(
        self,
        client: Any,
        prefix: str = "tgassist:budget",
        *,
        reservation_ttl_seconds: float = DEFAULT_RESERVATION_TTL_SECONDS,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = reservation_ttl_seconds
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    def _keys(self, tenant_id: int, day: date) -> list[str]:
        key = f"{self._prefix}:{tenant_id}:{day.isoformat()}"
        return [key, f"{key}:holds"]

    async def try_reserve(
        self, tenant_id: int, day: date, tokens: int, limit: int, *, now: datetime | None = None
    ) -> str | None:
        """Reserve atomically in a Lua script; the reservation's id, or None."""
        moment = (now or utc_now()).timestamp()
        reservation = uuid.uuid4().hex
        granted = await self._reserve(
            keys=self._keys(tenant_id, day),
            args=[tokens, limit, self.KEY_TTL_SECONDS, moment, moment + self._ttl, reservation],
        )
        return f"{reservation}:{tokens}" if int(granted) else None

    async def settle(
        self,
        tenant_id: int,
        day: date,
        reservation: str,
        actual: int,
        *,
        now: datetime | None = None,
    ) -> int:
        """Drop the reservation (expired or not) and count the actual tokens; returns the day's used."""
        moment = (now or utc_now()).timestamp()
        used = await self._settle(
            keys=self._keys(tenant_id, day),
            args=[reservation, actual, self.KEY_TTL_SECONDS, moment],
        )
        return int(used)

    async def usage(
        self, tenant_ids: Sequence[int], day: date, *, now: datetime | None = None
    ) -> dict[int, tuple[int, int]]:
        """(used, reserved by unexpired reservations) per tenant on a day."""
        if not tenant_ids:
            return {}
        moment = (now or utc_now()).timestamp()
        async with self._client.pipeline(transaction=False) as pipe:
            for tenant_id in tenant_ids:
                used_key, holds_key = self._keys(tenant_id, day)
                pipe.hget(used_key, "used")
                pipe.zrangebyscore(holds_key, f"({moment}", "+inf")
            replies = await pipe.execute()
        result = {}
        for index, tenant_id in enumerate(tenant_ids):
            used, holds = replies[2 * index], replies[2 * index + 1]
            reserved = sum(int(_text(member).rpartition(":")[2]) for member in holds)
            if used is not None or holds:
                result[tenant_id] = (int(used or 0), reserved)
        return result


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
