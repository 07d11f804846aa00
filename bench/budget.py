"""Budget gate throughput: reserve + commit per second on each ledger, and proof of no overspend.

Run: .venv/bin/python bench/budget.py [--ops 2000] [--concurrency 20]
Ledgers: SQL on SQLite (always), SQL on PostgreSQL and Redis when reachable (TEST_POSTGRES_URL,
TEST_REDIS_URL as in the tests). Writes the `budget` section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, write_section
from core.quotas.models import TenantLimits
from core.quotas.ports import TokenLedger
from core.quotas.service import BudgetExhausted, BudgetGate
from storage.budget import RedisTokenLedger, SqlTokenLedger
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_async
from storage.repositories import UnitOfWorkFactory
from tests.services import (
    REDIS_URL,
    create_postgres_database,
    drop_postgres_databases,
    postgres_unavailable,
)

TOKENS = 50


@asynccontextmanager
async def sql_database(kind: str) -> AsyncIterator[str]:
    """A fresh SQLite file or PostgreSQL database URL."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    url = await create_postgres_database("tgassist_bench")
    try:
        yield url
    finally:
        await drop_postgres_databases([url])


async def measure(ledger_kind: str, db_kind: str, ops: int, concurrency: int) -> dict[str, object]:
    """Run `ops` reserve+commit pairs from `concurrency` tasks against a budget for half of them."""
    async with sql_database(db_kind) as url:
        await upgrade_async(url)
        engine = create_engine(url)
        uow_factory = UnitOfWorkFactory(create_session_factory(engine))
        async with uow_factory() as uow:
            tenant = (await uow.tenants.get_or_create(1, "private", None, "en")).id
            await uow.commit()
        client = None
        ledger: TokenLedger
        if ledger_kind == "redis":
            client = redis.from_url(REDIS_URL)
            ledger = RedisTokenLedger(client, prefix=f"bench:{uuid.uuid4().hex}")
        else:
            ledger = SqlTokenLedger(create_session_factory(engine))
        budget = TOKENS * ops // 2  # half the attempts must be refused
        gate = BudgetGate(uow_factory, ledger, TenantLimits(budget, 0, 0, 0))
        latencies: list[float] = []
        granted = 0
        queue = iter(range(ops))

        async def worker() -> None:
            nonlocal granted
            for _ in queue:
                started = time.perf_counter()
                try:
                    reservation = await gate.reserve(tenant, TOKENS)
                except BudgetExhausted:
                    latencies.append(time.perf_counter() - started)
                    continue
                await reservation.commit(TOKENS)
                granted += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        usage = await gate.token_usage(tenant)
        if client is not None:
            await client.aclose()
        await engine.dispose()
    latencies.sort()
    return {
        "ledger": f"{ledger_kind} ({db_kind} for limits)"
        if ledger_kind == "redis"
        else f"SQL on {db_kind}",
        "ops": ops,
        "per_second": ops / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "granted": granted,
        "used": usage.used,
        "budget": budget,
        "overspent": usage.used > budget,
    }


async def reachable(kind: str) -> bool:
    """Whether PostgreSQL or Redis answers."""
    try:
        if kind == "postgres":
            return await postgres_unavailable() is None
        client = redis.from_url(REDIS_URL)
        await asyncio.wait_for(client.ping(), 3)
        await client.aclose()
    except Exception:
        return False
    return True


async def main(ops: int, concurrency: int) -> None:
    """Measure every reachable ledger, print and record the table."""
    runs = [("sql", "sqlite")]
    if await reachable("postgres"):
        runs.append(("sql", "postgres"))
    if await reachable("redis"):
        runs.append(("redis", "sqlite"))
    rows = [await measure(ledger, db, ops, concurrency) for ledger, db in runs]
    lines = [
        "## Budget gate: reserve + commit (`bench/budget.py`)",
        "",
        f"Measured on {machine()}; {ops} attempts of {TOKENS} tokens from {concurrency} concurrent "
        "tasks against a budget for exactly half of them (limits read through the gate's cache).",
        "",
        "| ledger | attempts/s | p50 ms | p95 ms | granted | used / budget | overspent |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['ledger']} | {row['per_second']:.0f} | {row['p50_ms']:.2f} | "
            f"{row['p95_ms']:.2f} | {row['granted']} | {row['used']} / {row['budget']} | "
            f"{'YES' if row['overspent'] else 'no'} |"
        )
    table = "\n".join(lines)
    print(table)
    write_section("budget", table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.concurrency))
