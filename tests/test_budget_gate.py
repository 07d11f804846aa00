"""The budget gate: exhaustion, the UTC day boundary, concurrency without overspend, overrides."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as redis

from core.clock import utc_day
from core.quotas.models import QuotaKind, QuotaOverride
from core.quotas.ports import TokenLedger
from core.quotas.service import BudgetExhausted, BudgetGate, QuotaExceeded
from storage.budget import RedisTokenLedger, SqlTokenLedger
from storage.db import create_session_factory
from storage.models import QuestionRow
from tests.quota_support import Clock, Database, limits, make_tenants, migrated
from tests.services import fresh_postgres_database, redis_url_or_skip

ROOT = Path(__file__).resolve().parents[1]
RESERVATION_TTL = 120.0


@dataclass
class Setup:
    """A gate over one ledger kind, with two tenants and a settable clock."""

    db: Database
    ledger: TokenLedger
    clock: Clock
    tenants: list[int]

    def gate(self, **limit_values: int) -> BudgetGate:
        return BudgetGate(
            self.db.uow_factory,
            self.ledger,
            limits(**limit_values),
            clock=self.clock,
            cache_seconds=0,
        )


@pytest.fixture(params=["sql-sqlite", "sql-postgres", "redis"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    """The same gate tests on the SQL ledger (SQLite, PostgreSQL) and the Redis ledger."""
    clients: list[Any] = []
    databases: AsyncGenerator[str, None] | None = None
    url = f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}"
    if request.param == "sql-postgres":
        databases = cast(AsyncGenerator[str, None], fresh_postgres_database())
        url = await databases.__anext__()
    try:
        async with migrated(url) as db:
            ledger: TokenLedger
            if request.param == "redis":
                client = redis.from_url(await redis_url_or_skip())
                clients.append(client)
                ledger = RedisTokenLedger(
                    client,
                    prefix=f"test:budget:{os.getpid()}:{uuid.uuid4().hex[:8]}",
                    reservation_ttl_seconds=RESERVATION_TTL,
                )
            else:
                ledger = SqlTokenLedger(
                    create_session_factory(db.engine), reservation_ttl_seconds=RESERVATION_TTL
                )
            tenants = await make_tenants(db.uow_factory, 101, 102)
            yield Setup(db, ledger, Clock(), tenants)
    finally:
        for client in clients:
            await client.aclose()
        if databases is not None:
            await databases.aclose()


async def test_reservations_exhaust_the_daily_budget(setup: Setup) -> None:
    """Committed usage counts; a reservation that does not fit is refused with limit and reset time."""
    gate = setup.gate(daily_tokens=1000)
    tenant = setup.tenants[0]
    first = await gate.reserve(tenant, 600)
    await first.commit(550)
    assert not await gate.is_quota_exhausted(tenant)
    with pytest.raises(BudgetExhausted) as refused:
        await gate.reserve(tenant, 500)
    assert refused.value.kind is QuotaKind.DAILY_TOKENS
    assert refused.value.limit == 1000
    assert refused.value.used == 550
    assert refused.value.resets_at == datetime(2026, 3, 2, tzinfo=UTC)
    async with await gate.reserve(tenant, 450) as last:
        await last.commit()  # the estimate is booked when the actual count is unknown
    assert await gate.is_quota_exhausted(tenant)
    usage = await gate.token_usage(tenant)
    assert (usage.used, usage.reserved, usage.limit) == (1000, 0, 1000)
    assert not await gate.is_quota_exhausted(setup.tenants[1])


async def test_release_gives_the_reservation_back(setup: Setup) -> None:
    """A released reservation, or one left by an exception, frees its tokens and books nothing."""
    gate = setup.gate(daily_tokens=100)
    tenant = setup.tenants[0]
    held = await gate.reserve(tenant, 100)
    assert await gate.is_quota_exhausted(tenant)  # fully reserved counts as exhausted
    await held.release()
    with pytest.raises(RuntimeError):
        async with await gate.reserve(tenant, 100):
            raise RuntimeError("the LLM call failed")
    usage = await gate.token_usage(tenant)
    assert (usage.used, usage.reserved) == (0, 0)


async def test_budget_resets_at_the_utc_day_boundary(setup: Setup) -> None:
    """Exhausted at 23:59 UTC, a fresh budget at 00:00 UTC; yesterday's tokens stay yesterday's."""
    setup.clock.moment = datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC)
    gate = setup.gate(daily_tokens=300)
    tenant = setup.tenants[0]
    await (await gate.reserve(tenant, 300)).commit(300)
    assert await gate.is_quota_exhausted(tenant)
    assert gate.resets_at() == datetime(2026, 3, 2, tzinfo=UTC)
    late = await gate.reserve(tenant, 0)  # reserved before midnight ...
    setup.clock.advance(seconds=30)
    assert not await gate.is_quota_exhausted(tenant)
    await (await gate.reserve(tenant, 300)).commit(250)
    await late.commit(40)  # ... is booked on the day it was reserved
    today = await gate.token_usage(tenant)
    assert (today.day, today.used) == (utc_day(setup.clock()), 250)
    yesterday = await setup.ledger.usage([tenant], datetime(2026, 3, 1).date())
    assert yesterday[tenant] == (340, 0)


async def test_crash_between_reserve_and_settle_holds_the_budget_only_until_the_reservation_expires(
    setup: Setup,
) -> None:
    """A reservation never settled (the process died) stops counting after its TTL, not at midnight."""
    gate = setup.gate(daily_tokens=1000)
    tenant = setup.tenants[0]
    await (await gate.reserve(tenant, 200)).commit(200)
    crashed = await gate.reserve(tenant, 800)  # the call that never returns
    assert await gate.is_quota_exhausted(tenant)
    setup.clock.advance(seconds=RESERVATION_TTL - 1)
    with pytest.raises(BudgetExhausted):
        await gate.reserve(tenant, 100)
    setup.clock.advance(seconds=2)  # past the TTL, same UTC day
    usage = await gate.token_usage(tenant)
    assert (usage.used, usage.reserved) == (200, 0)
    async with await gate.reserve(tenant, 700) as fresh:
        assert (await gate.token_usage(tenant)).reserved == 700
        await fresh.commit(650)
    await crashed.commit(50)  # a straggler that settles late books what it used, holds nothing
    usage = await gate.token_usage(tenant)
    assert (usage.used, usage.reserved) == (900, 0)


async def test_expired_reservations_do_not_count_against_concurrent_ones(setup: Setup) -> None:
    """Live reservations still count in full while expired ones are ignored, per tenant."""
    gate = setup.gate(daily_tokens=1000)
    first, second = setup.tenants
    await gate.reserve(first, 600)  # leaked
    setup.clock.advance(seconds=RESERVATION_TTL / 2)
    await gate.reserve(first, 400)  # leaked later
    await gate.reserve(second, 1000)
    setup.clock.advance(seconds=RESERVATION_TTL / 2 + 1)  # the first expired, the rest not
    assert (await gate.token_usage(first)).reserved == 400
    assert (await gate.token_usage(second)).reserved == 1000
    with pytest.raises(BudgetExhausted):
        await gate.reserve(first, 601)
    await gate.reserve(first, 600)


async def test_concurrent_reservations_never_overspend(setup: Setup) -> None:
    """Sixty racing reservations of 50 tokens against a budget of 1,000: exactly twenty win."""
    gates = [setup.gate(daily_tokens=1000) for _ in range(3)]  # as if three workers shared it
    tenant = setup.tenants[0]

    async def attempt(number: int) -> bool:
        try:
            reservation = await gates[number % 3].reserve(tenant, 50)
        except BudgetExhausted:
            return False
        await asyncio.sleep(0)
        await reservation.commit(50)
        return True

    outcomes = await asyncio.gather(*(attempt(number) for number in range(60)))
    assert sum(outcomes) == 20
    usage = await gates[0].token_usage(tenant)
    assert (usage.used, usage.reserved) == (1000, 0)


async def test_overrides_replace_defaults_per_tenant(setup: Setup) -> None:
    """An override applies to its tenant only; None fields and a cleared override fall back."""
    gate = setup.gate(daily_tokens=1000, channels=10, daily_questions=5)
    small, other = setup.tenants
    limits_now = await gate.set_override(small, QuotaOverride(daily_tokens=100, channels=0))
    assert (limits_now.daily_tokens, limits_now.channels, limits_now.daily_questions) == (100, 0, 5)
    with pytest.raises(BudgetExhausted):
        await gate.reserve(small, 150)
    await (await gate.reserve(other, 150)).commit()
    assert await gate.channel_limit(small) == 0  # 0 = unlimited
    assert await gate.channel_limit(other) == 10
    await gate.set_override(small, QuotaOverride())
    await (await gate.reserve(small, 150)).commit()


async def test_daily_question_limit(setup: Setup) -> None:
    """Questions asked today count against the limit; yesterday's do not."""
    gate = setup.gate(daily_questions=2)
    tenant = setup.tenants[0]
    async with setup.db.uow_factory() as uow:
        session = uow.session
        for moment in (datetime(2026, 2, 28, 12, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=UTC)):
            session.add(QuestionRow(tenant_id=tenant, text="q", status="ok", created_at=moment))
        await uow.commit()
    await gate.check_question(tenant)
    async with setup.db.uow_factory() as uow:
        uow.session.add(
            QuestionRow(tenant_id=tenant, text="q", status="ok", created_at=setup.clock())
        )
        await uow.commit()
    with pytest.raises(QuotaExceeded) as refused:
        await gate.check_question(tenant)
    assert refused.value.kind is QuotaKind.DAILY_QUESTIONS
    assert refused.value.resets_at == datetime(2026, 3, 2, tzinfo=UTC)
    await gate.check_question(setup.tenants[1])


WORKER = """
import asyncio, sys, time
from datetime import date
import redis.asyncio as redis
from storage.budget import RedisTokenLedger

async def main() -> None:
    client = redis.from_url(sys.argv[1])
    ledger = RedisTokenLedger(client, prefix=sys.argv[2])
    await asyncio.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # start together
    granted = await asyncio.gather(
        *(ledger.try_reserve(7, date(2026, 3, 1), 50, 1000) for _ in range(20))
    )
    print(sum(1 for reservation in granted if reservation))
    await client.aclose()

asyncio.run(main())
"""


async def test_redis_budget_is_shared_between_processes(redis_url: str) -> None:
    """Three OS processes race for one tenant's Redis budget: together they get exactly 1,000."""
    prefix = f"test:budget:processes:{os.getpid()}"
    start = f"{time.time() + 2.0:.3f}"
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            redis_url,
            prefix,
            start,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = [await asyncio.wait_for(worker.communicate(), timeout=60) for worker in workers]
    granted = [int(out.decode().strip() or 0) for out, _err in results]
    assert all(worker.returncode == 0 for worker in workers), [err for _, err in results]
    assert sum(granted) == 20
    client = redis.from_url(redis_url)
    ledger = RedisTokenLedger(client, prefix=prefix)
    assert await ledger.usage([7], datetime(2026, 3, 1).date()) == {7: (0, 1000)}
    await client.aclose()
