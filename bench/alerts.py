"""Fan one trend alert out to many chats through a fake Bot API enforcing Telegram's limits.

Run: .venv/bin/python bench/alerts.py [--chats 10000] [--no-record]
The fake Bot API (tests/fakes/bot_api.py) runs in a child process and answers 429 with
retry_after whenever more than 30 messages arrive in a second overall or more than one per
second to a chat. The alert goes through the real path: outbox rows written as pending in
SQLite, claimed by `AlertBroadcaster`, sent through aiogram with the in-process send limiter,
marked sent one by one. Prints messages/s, 429s, duplicates and losses (targets: at least
27 msg/s, 0 duplicates, 0 losses). A full run of 10,000 chats takes about six minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.ratelimit.local import LocalRateLimiter
from bench.report import machine, write_section
from bot.app import create_bot
from bot.broadcast import AlertBroadcaster
from core.models import PostDraft, SourceKind
from core.trends.models import Trend, TrendPostRef
from core.trends.outbox import AlertOutbox
from core.trends.ports import NewAlert
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_async
from storage.repositories import UnitOfWorkFactory
from tests.fakes.bot_api import call_raw

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATE = 27.0
FIRST_CHAT = 10_000_000

# The fake in its own process: Telegram's limits on, a stats method for this script.
_FAKE = """
import asyncio, collections
from tests.fakes.bot_api import FakeBotAPI

async def main():
    api = FakeBotAPI()
    api.rate_limit(overall_per_s=30, per_chat_per_s=1, group_per_min=20)
    def stats(params):
        per_chat = collections.Counter(m["chat_id"] for m in api.sent_messages())
        return {"delivered": sum(per_chat.values()), "chats": len(per_chat),
                "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
                "rate_limited": api.rate_limited}
    api.set_handler("benchStats", stats)
    await api.start()
    print(api.base_url, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def _trend(now: datetime) -> Trend:
    posts = [
        TrendPostRef(
            n,
            n,
            f"@channel{n}",
            now - timedelta(hours=1),
            f"https://t.me/channel{n}/{n}",
            "Землетрясение в Тбилиси: толчки ощущались по всей Грузии",
        )
        for n in range(1, 6)
    ]
    return Trend(
        trend_key="bench-quake",
        label="землетрясение · Тбилиси",
        headline="В Тбилиси произошло сильное землетрясение",
        terms=["землетрясение", "Тбилиси"],
        stems=["землетрясен", "тбилис"],
        score=9.5,
        z=6.0,
        mentions=5,
        baseline=0.1,
        channels=[post.channel_name for post in posts],
        channel_ids=[post.channel_id for post in posts],
        posts=posts,
        first_seen=posts[0].date,
    )


async def _prepare(uow_factory: UnitOfWorkFactory, chats: int) -> None:
    """One stored trend and a pending alert of it for every chat (one tenant per chat)."""
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        channels = []
        for n in range(1, 6):
            channel = await uow.channels.create(
                username=f"channel{n}",
                title=f"Channel {n}",
                source=SourceKind.EXPORT,
                telegram_id=None,
            )
            await uow.posts.upsert_many(
                channel.id, [PostDraft(message_id=n, date=now - timedelta(hours=1), text="quake")]
            )
            channels.append(channel.id)
        tenant_ids = []
        for chat in range(FIRST_CHAT, FIRST_CHAT + chats):
            tenant = await uow.tenants.get_or_create(chat, "private", None, "ru")
            tenant_ids.append(tenant.id)
        trend = _trend(now)
        posts = [
            TrendPostRef(post_id, channel_id, ref.channel_name, ref.date, ref.url, ref.snippet)
            for post_id, channel_id, ref in zip(range(1, 6), channels, trend.posts, strict=True)
        ]
        trend = replace(trend, posts=posts, channel_ids=channels)
        [stored] = await uow.trends.save_run(tenant_ids[0], now, [trend])
        await uow.trend_alerts.enqueue(
            [
                NewAlert(tenant_id, FIRST_CHAT + n, trend.trend_key, stored.id, trend.score)
                for n, tenant_id in enumerate(tenant_ids)
            ],
            now,
        )
        await uow.commit()


async def run(chats: int) -> dict[str, Any]:
    """Prepare, broadcast, and collect the fake's view of what arrived."""
    fake = subprocess.Popen(  # noqa: ASYNC220 - started once before the measurement
        [sys.executable, "-c", _FAKE],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        base_url = fake.stdout.readline().strip()
        with tempfile.TemporaryDirectory(prefix="tgassist-bench-alerts-") as data:
            url = f"sqlite+aiosqlite:///{Path(data) / 'bench.sqlite3'}"
            await upgrade_async(url)
            engine = create_engine(url)
            uow_factory = UnitOfWorkFactory(create_session_factory(engine))
            await _prepare(uow_factory, chats)
            bot = create_bot("123456:BENCH-token", base_url)
            broadcaster = AlertBroadcaster(bot, AlertOutbox(uow_factory), LocalRateLimiter())
            started = time.perf_counter()
            report = await broadcaster.deliver_pending()
            seconds = time.perf_counter() - started
            async with uow_factory() as uow:
                counts = await uow.trend_alerts.counts()
            await bot.session.close()
            await engine.dispose()
        _, body = await call_raw(base_url, "benchStats")
        stats = body["result"]
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    return {
        "chats": chats,
        "seconds": seconds,
        "rate": stats["delivered"] / seconds,
        "rate_limited": stats["rate_limited"],
        "duplicates": stats["duplicates"],
        "losses": chats - stats["chats"],
        "sent_rows": counts.get("sent", 0),
        "report": report,
    }


def main() -> None:
    """Run once, print the figures, record them unless told not to."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    figures = asyncio.run(run(args.chats))
    meets = figures["rate"] >= TARGET_RATE and figures["duplicates"] == 0 and figures["losses"] == 0
    verdict = "meets" if meets else "MISSES"
    print(
        f"{figures['chats']} chats in {figures['seconds']:.1f} s = {figures['rate']:.1f} msg/s; "
        f"429s {figures['rate_limited']}, duplicates {figures['duplicates']}, losses "
        f"{figures['losses']}, rows marked sent {figures['sent_rows']} ({verdict} targets)"
    )
    print(json.dumps({k: v for k, v in figures.items() if k != "report"}))
    if args.no_record:
        return
    write_section(
        "alerts",
        "## Alerts: one trend alert fanned out (`bench/alerts.py`)\n\n"
        f"Measured on {machine()}; SQLite outbox, `AlertBroadcaster` with the in-process send "
        "limiter (29 msg/s overall, 1 per chat), fake Bot API in its own process answering 429 "
        "above 30 msg/s overall or 1 msg/s per chat.\n\n"
        "| chats | seconds | msg/s | target | 429s | duplicates | losses |\n"
        "|---|---|---|---|---|---|---|\n"
        f"| {figures['chats']} | {figures['seconds']:.1f} | {figures['rate']:.1f} | "
        f"≥ {TARGET_RATE:g} ({verdict}) | {figures['rate_limited']} | {figures['duplicates']} | "
        f"{figures['losses']} |",
    )


if __name__ == "__main__":
    main()
