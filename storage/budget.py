"""Token ledgers behind the budget gate: a SQL table, or Redis shared between processes.

Both reserve atomically: SQL with one conditional UPDATE (PostgreSQL re-checks the condition
on the locked row; SQLite runs writers one at a time), Redis with a Lua script.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import utc_now
from storage.models.quotas import TenantTokenUsageRow
from storage.repositories._upsert import upsert

_TABLE = TenantTokenUsageRow


class SqlTokenLedger:
    """Token counters in `tenant_token_usage`, one row per tenant and UTC day."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def try_reserve(self, tenant_id: int, day: date, tokens: int, limit: int) -> bool:
        """Reserve unless used + reserved + tokens > limit (0 = no limit), in one statement."""
        async with self._sessions() as session:
            await self._ensure_row(session, tenant_id, day)
            statement = (
                update(_TABLE)
                .where(_TABLE.tenant_id == tenant_id, _TABLE.day == day)
                .values(reserved_tokens=_TABLE.reserved_tokens + tokens, updated_at=utc_now())
            )
            if limit > 0:
                statement = statement.where(
                    _TABLE.used_tokens + _TABLE.reserved_tokens + tokens <= limit
                )
            result = await session.execute(statement)
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def settle(self, tenant_id: int, day: date, reserved: int, actual: int) -> int:
        """Release the reservation and count the actual tokens; returns the day's used tokens."""
        async with self._sessions() as session:
            # The row exists: try_reserve created it for this day.
            used = await session.scalar(
                update(_TABLE)
                .where(_TABLE.tenant_id == tenant_id, _TABLE.day == day)
                .values(
                    reserved_tokens=_TABLE.reserved_tokens - reserved,
                    used_tokens=_TABLE.used_tokens + actual,
                    updated_at=utc_now(),
                )
                .returning(_TABLE.used_tokens)
            )
            await session.commit()
            return int(used or 0)

    async def usage(self, tenant_ids: Sequence[int], day: date) -> dict[int, tuple[int, int]]:
        """(used, reserved) per tenant on a day."""
        if not tenant_ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(_TABLE.tenant_id, _TABLE.used_tokens, _TABLE.reserved_tokens).where(
                    _TABLE.tenant_id.in_(list(tenant_ids)), _TABLE.day == day
                )
            )
            return {tenant_id: (int(used), int(reserved)) for tenant_id, used, reserved in rows}

    @staticmethod
    async def _ensure_row(session: AsyncSession, tenant_id: int, day: date) -> None:
        statement = upsert(session, _TABLE.__table__, keys=["tenant_id", "day"], update=[]).values(
            tenant_id=tenant_id, day=day, used_tokens=0, reserved_tokens=0, updated_at=utc_now()
        )
        await session.execute(statement)


# KEYS[1] = the day's hash; ARGV = tokens, limit (0 = none), ttl seconds.
_RESERVE = """
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local tokens = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit > 0 and used + reserved + tokens > limit then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'reserved', tokens)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""

# KEYS[1] = the day's hash; ARGV = reserved to release, actual tokens used, ttl seconds.
_SETTLE = """
local reserved = redis.call('HINCRBY', KEYS[1], 'reserved', 0 - tonumber(ARGV[1]))  -- never -0
if reserved < 0 then redis.call('HSET', KEYS[1], 'reserved', 0) end
local used = redis.call('HINCRBY', KEYS[1], 'used', tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return used
"""


class RedisTokenLedger:
    """Token counters in Redis hashes (`tgassist:budget:<tenant>:<day>`), shared by all processes."""

    KEY_TTL_SECONDS = 3 * 24 * 3600  # a finished day is kept a little for /quota and debugging

    def __init__(self, client: Any, prefix: str = "tgassist:budget") -> None:
        self._client = client
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    def _key(self, tenant_id: int, day: date) -> str:
        return f"{self._prefix}:{tenant_id}:{day.isoformat()}"

    async def try_reserve(self, tenant_id: int, day: date, tokens: int, limit: int) -> bool:
        """Reserve atomically in a Lua script."""
        granted = await self._reserve(
            keys=[self._key(tenant_id, day)], args=[tokens, limit, self.KEY_TTL_SECONDS]
        )
        return bool(int(granted))

    async def settle(self, tenant_id: int, day: date, reserved: int, actual: int) -> int:
        """Release the reservation and count the actual tokens; returns the day's used tokens."""
        used = await self._settle(
            keys=[self._key(tenant_id, day)], args=[reserved, actual, self.KEY_TTL_SECONDS]
        )
        return int(used)

    async def usage(self, tenant_ids: Sequence[int], day: date) -> dict[int, tuple[int, int]]:
        """(used, reserved) per tenant on a day."""
        if not tenant_ids:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for tenant_id in tenant_ids:
                pipe.hmget(self._key(tenant_id, day), "used", "reserved")
            replies = await pipe.execute()
        result = {}
        for tenant_id, (used, reserved) in zip(tenant_ids, replies, strict=True):
            if used is not None or reserved is not None:
                result[tenant_id] = (int(used or 0), int(reserved or 0))
        return result
