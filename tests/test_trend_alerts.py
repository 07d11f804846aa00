"""Trend alerts end to end: real Dispatcher, fake Bot API enforcing Telegram's limits, SQLite."""

from __future__ import annotations

import asyncio
import html
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.middlewares.rate_limit_counter import RateLimitCounter
from core.clock import utc_now
from core.trends.service import TREND_RETENTION
from jobs.registry import build_jobs
from tests.fakes.bot_api import BotAPIError, FakeBotAPI
from tests.fakes.llm_api import FakeOpenAI
from tests.harness import BotHarness, eventually, make_settings
from tests.trend_streams import Stream, ongoing_story
from tests.trend_support import (
    ECLIPSE,
    StoredStream,
    add_posts,
    make_chats,
    quake_stream,
    recent_hour,
    store_stream,
)

PRIVATE_CHATS = [7001, 7002, 7003, 7004, 7005]
GROUP_CHATS = [-1001000000001, -1001000000002]
ROOT = Path(__file__).resolve().parents[1]


def _alerts(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    """Trend alerts the chat received (messages carrying the mute button)."""
    return [
        message
        for message in api.sent_messages(chat_id)
        if "trmute" in str(message.get("reply_markup", ""))
    ]


def _metric(harness: BotHarness, name: str) -> float:
    return harness.container.metrics.registry.get_sample_value(name) or 0.0


async def _counts(harness: BotHarness) -> dict[str, int]:
    return await harness.container.trends.outbox.counts()


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with Telegram's limits enforced, its Bot counting 429s like `tgassist run`."""
    bot_api.rate_limit()  # 30 msg/s overall, 1 msg/s per chat, 20/min per group
    settings = make_settings(tmp_path, bot_api)
    async with BotHarness(settings, bot_api) as running:
        running.bot.session.middleware(RateLimitCounter(running.container.metrics))
        yield running


@pytest.fixture
async def stored(harness: BotHarness) -> StoredStream:
    """Six channels of steady news with the Tbilisi earthquake in five of them, now."""
    now = recent_hour() - timedelta(hours=1)  # later runs stay in the past
    return await store_stream(harness.container.uow_factory, quake_stream(now), now)


async def _detect_and_deliver(harness: BotHarness, now: Any) -> Any:
    report = await harness.container.trends.service.refresh(now)
    delivered = await harness.container.trends.broadcaster(harness.bot).deliver_pending()
    return report, delivered


async def test_every_chat_with_alerts_on_gets_exactly_one_alert_per_trend(
    harness: BotHarness, stored: StoredStream
) -> None:
    """Each subscribed chat gets one alert per trend across runs; /alerts off chats get none."""
    uow_factory = harness.container.uow_factory
    chats = [(chat, "private") for chat in PRIVATE_CHATS] + [
        (chat, "supergroup") for chat in GROUP_CHATS
    ]
    await make_chats(uow_factory, stored, [*chats, (7099, "private")])
    assert await harness.send("/alerts off", chat_id=7099, user_id=7099)

    report, delivered = await _detect_and_deliver(harness, stored.now)
    assert report.tenants == len(chats) + 1 and report.new_trends == len(chats) + 1
    assert report.alerts_queued == len(chats)
    assert delivered.sent == len(chats) and delivered.failed == 0
    for chat_id, _ in chats:
        [alert] = _alerts(harness.api, chat_id)
        assert "Trending" in alert["text"] and "Tbilisi" not in alert["text"]
        assert "Тбилиси" in alert["text"] and "https://t.me/channel" in alert["text"]
        assert "5 posts from 5 channels" in alert["text"]
    assert _alerts(harness.api, 7099) == []

    # Later runs: the same story continues (no new alert), a second story starts (one more).
    later = stored.now + timedelta(minutes=15)
    await add_posts(uow_factory, stored, [3, 4, 5, 6, 2], ECLIPSE, start=later - timedelta(hours=1))
    for moment in (later, later + timedelta(minutes=15)):
        await _detect_and_deliver(harness, moment)
    for chat_id, _ in chats:
        texts = [alert["text"] for alert in _alerts(harness.api, chat_id)]
        assert len(texts) == 2
        assert "Тбилиси" in texts[0] and "Камчатк" in texts[1]
    assert _alerts(harness.api, 7099) == []
    assert await _counts(harness) == {"sent": 2 * len(chats)}
    assert _metric(harness, "tgassist_alerts_sent_total") == 2 * len(chats)


async def test_429s_are_honoured_and_counted(harness: BotHarness, stored: StoredStream) -> None:
    """Telegram's "retry after" makes the broadcaster wait and resend: no loss, no duplicate."""
    await make_chats(harness.container.uow_factory, stored, [(c, "private") for c in PRIVATE_CHATS])
    harness.api.fail_next("sendMessage", 429, times=3, retry_after=1)

    _, delivered = await _detect_and_deliver(harness, stored.now)

    assert delivered.rate_limited == 3 and delivered.sent == len(PRIVATE_CHATS)
    for chat_id in PRIVATE_CHATS:
        assert len(_alerts(harness.api, chat_id)) == 1
    assert harness.api.rate_limited >= 3
    assert _metric(harness, "tgassist_telegram_rate_limited_total") == harness.api.rate_limited
    assert _metric(harness, "tgassist_alerts_sent_total") == len(PRIVATE_CHATS)


async def test_limiter_keeps_a_burst_within_telegrams_limits(
    harness: BotHarness, stored: StoredStream
) -> None:
    """Two trends to 40 chats at once: every alert arrives once, spaced 1 s apart per chat."""
    many = [8000 + n for n in range(40)]
    await make_chats(harness.container.uow_factory, stored, [(c, "private") for c in many])
    await add_posts(
        harness.container.uow_factory,
        stored,
        [6, 2, 3, 4, 5],
        ECLIPSE,
        start=stored.now - timedelta(hours=2),
    )
    report, delivered = await _detect_and_deliver(harness, stored.now)
    assert report.alerts_queued == 80 and delivered.sent == 80
    for chat_id in many:
        calls = [
            call.at
            for call in harness.api.calls("sendMessage")
            if call.chat_id == chat_id and call.ok
        ]
        assert len(calls) == 2 and calls[1] - calls[0] >= 1.0
    assert await _counts(harness) == {"sent": 80}


async def test_blocked_chat_is_dropped_from_alerts(
    harness: BotHarness, stored: StoredStream
) -> None:
    """A chat that blocked the bot fails once, gets its alerts turned off and is not queued again."""
    uow_factory = harness.container.uow_factory
    await make_chats(uow_factory, stored, [(7001, "private"), (7002, "private")])
    harness.api.forbid(7002)

    _, delivered = await _detect_and_deliver(harness, stored.now)
    assert delivered.sent == 1 and delivered.blocked == 1
    async with uow_factory() as uow:
        blocked = await uow.tenants.by_chat_id(7002)
        assert blocked is not None and not blocked.alerts_enabled
        assert not blocked.active  # a 403: its channels stop being polled (retention)

    later = stored.now + timedelta(minutes=15)
    await add_posts(uow_factory, stored, [2, 3, 4, 5, 6], ECLIPSE, start=later - timedelta(hours=1))
    report, delivered = await _detect_and_deliver(harness, later)
    assert report.alerts_queued == 1 and delivered.sent == 1 and delivered.blocked == 0
    assert len(_alerts(harness.api, 7001)) == 2
    assert await _counts(harness) == {"sent": 2, "failed": 1}


async def test_group_migrated_to_supergroup_gets_its_alert_there(
    harness: BotHarness, stored: StoredStream
) -> None:
    """A group that became a supergroup gets the alert under its new id; the chat moves too."""
    old, new = -4001, -1004000000001
    uow_factory = harness.container.uow_factory
    await make_chats(uow_factory, stored, [(old, "group")])
    harness.api.migrate(old, new)

    _, delivered = await _detect_and_deliver(harness, stored.now)

    assert delivered.migrated == 1 and delivered.sent == 1
    assert len(_alerts(harness.api, new)) == 1 and _alerts(harness.api, old) == []
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(new)
        assert tenant is not None and tenant.kind == "supergroup"
        assert await uow.tenants.by_chat_id(old) is None
    report, delivered = await _detect_and_deliver(harness, stored.now + timedelta(minutes=15))
    assert report.alerts_queued == 0 and delivered.sent == 0


async def test_alerts_command_turns_alerts_off_and_on(
    harness: BotHarness, stored: StoredStream
) -> None:
    """/alerts shows the state; off stops alerts, on brings the next new trend again."""
    uow_factory = harness.container.uow_factory
    await make_chats(uow_factory, stored, [(7001, "private")])
    [state] = await harness.send("/alerts", chat_id=7001, user_id=7001)
    assert "<b>on</b>" in state
    [off] = await harness.send("/alerts off", chat_id=7001, user_id=7001)
    assert "off" in off
    report, _ = await _detect_and_deliver(harness, stored.now)
    assert report.alerts_queued == 0 and _alerts(harness.api, 7001) == []

    [on] = await harness.send("/alerts on", chat_id=7001, user_id=7001)
    assert "on" in on
    later = stored.now + timedelta(minutes=15)
    await add_posts(uow_factory, stored, [2, 3, 4, 5, 6], ECLIPSE, start=later - timedelta(hours=1))
    await _detect_and_deliver(harness, later)
    texts = sorted(alert["text"] for alert in _alerts(harness.api, 7001))
    assert len(texts) == 2  # both current trends, once each
    assert any("Камчатк" in text for text in texts) and any("Тбилиси" in text for text in texts)


async def test_group_members_cannot_switch_alerts(
    harness: BotHarness, stored: StoredStream
) -> None:
    """In a group only administrators change alerts; a member is refused and nothing changes."""
    group = -1001000000009
    harness.api.add_chat(group, "supergroup")
    harness.api.set_chat_admins(group, [5001])
    await make_chats(harness.container.uow_factory, stored, [(group, "supergroup")])
    [refused] = await harness.send(
        "/alerts off", chat_id=group, user_id=5002, chat_type="supergroup"
    )
    assert "administrators" in refused
    [done] = await harness.send("/alerts off", chat_id=group, user_id=5001, chat_type="supergroup")
    assert "off" in done


async def test_trends_command_lists_current_trends_with_links(
    harness: BotHarness, stored: StoredStream
) -> None:
    """/trends shows the chat's current trends with links to their posts; mute hides one."""
    await make_chats(harness.container.uow_factory, stored, [(7001, "private")])
    [empty] = await harness.send("/trends", chat_id=7001, user_id=7001)
    assert "Nothing is trending" in empty

    await harness.container.trends.service.refresh(utc_now())
    [listing] = await harness.send("/trends", chat_id=7001, user_id=7001)
    assert "Тбилиси" in listing and "5 posts, 5 channels" in listing
    assert listing.count('<a href="https://t.me/channel') == 3  # best links, one per channel

    await harness.container.trends.broadcaster(harness.bot).deliver_pending()
    [alert] = _alerts(harness.api, 7001)
    mute = alert["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    calls = await harness.press(mute, chat_id=7001, user_id=7001)
    [toast] = [str(call["text"]) for call in calls if "Muted" in str(call.get("text"))]
    headline = listing.split("<b>")[2].split("</b>")[0]  # the first story's, as /trends showed it
    assert toast == f"🔕 Muted: {html.unescape(headline)}"[:200]
    [after] = await harness.send("/trends", chat_id=7001, user_id=7001)
    assert "Nothing is trending" in after


async def test_crash_mid_broadcast_and_restart_neither_loses_nor_repeats(
    harness: BotHarness, stored: StoredStream, tmp_path: Path
) -> None:
    """A delivery process killed (SIGKILL) mid-broadcast, then a restart: one alert per chat."""
    chats = [9000 + n for n in range(12)]
    await make_chats(harness.container.uow_factory, stored, [(c, "private") for c in chats])
    report = await harness.container.trends.service.refresh(stored.now)
    assert report.alerts_queued == len(chats)

    # Telegram takes the first 5 messages, then stops answering until the process is dead.
    api = harness.api
    deliver = api._send_message  # the fake's own delivery
    hang = asyncio.Event()
    hanging = []

    async def gated(params: dict[str, Any]) -> Any:
        if len(api.sent_messages()) < 5:
            return deliver(params)
        hanging.append(params["chat_id"])
        await hang.wait()
        raise BotAPIError(502, "Bad Gateway: the client went away")

    api.set_handler("sendMessage", gated)
    settings = harness.settings
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "EMBEDDINGS": "none",
        "BOT_TOKEN": settings.bot_token.get_secret_value(),
        "TELEGRAM_API_BASE": api.base_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    env["DATABASE_URL"] = settings.resolved_database_url  # the harness's own database
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, killed below
        [sys.executable, "-c", _DELIVER_ONCE],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        async def five_recorded() -> bool:
            return (await _counts(harness)).get("sent", 0) == 5

        async def more_on_the_wire() -> bool:
            return bool(hanging)

        await eventually(five_recorded, timeout=60)
        await eventually(more_on_the_wire, timeout=30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    hang.set()
    # Requests the dead process had already written may still be read by the fake after the kill;
    # they must fail like the rest, not be delivered by the restored handler (that would be a
    # message Telegram took from a process that never lived to record it).
    await _until_no_more_calls(api)
    api.set_handler("sendMessage", deliver)
    assert await _counts(harness) == {"sent": 5, "sending": len(chats) - 5}

    # A restart within the lease leaves the dead process' alerts alone ...
    broadcaster = harness.container.trends.broadcaster(harness.bot)
    assert (await broadcaster.deliver_pending()).sent == 0
    # ... and once the lease has run out, resumes them; sent ones are never sent again.
    outbox = harness.container.trends.outbox
    outbox.clock = lambda: utc_now() + outbox.lease + timedelta(seconds=1)
    assert (await broadcaster.deliver_pending()).sent == len(chats) - 5
    for chat_id in chats:
        assert len(_alerts(api, chat_id)) == 1
    assert await _counts(harness) == {"sent": len(chats)}


async def _until_no_more_calls(api: FakeBotAPI, quiet: float = 0.5, limit: float = 10.0) -> None:
    """Wait until the fake has answered no request for `quiet` seconds (at most `limit`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = -1
    while loop.time() < deadline and len(api.calls()) != seen:
        seen = len(api.calls())
        await asyncio.sleep(quiet)


_DELIVER_ONCE = """
import asyncio
from app.container import build_container
from app.settings import Settings
from bot.app import create_bot

async def main():
    settings = Settings()
    container = build_container(settings)
    bot = create_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    try:
        await container.trends.broadcaster(bot).deliver_pending()
    finally:
        await bot.session.close()
        await container.close()

asyncio.run(main())
"""


async def test_an_escalating_story_gets_one_escalation_alert_that_survives_a_crash(
    harness: BotHarness,
) -> None:
    """A story alerted three days ago that rises again gets one "still developing" alert
    (not a repeat of the first), exactly once across reruns, a crashed sender and a restart."""
    rise = recent_hour() - timedelta(hours=1)
    first = rise - timedelta(hours=78)
    stream = Stream(channels=12, seed=5)
    stream.steady(until=rise)
    ongoing_story(stream, first, rise)
    stored = await store_stream(harness.container.uow_factory, stream, rise)
    await make_chats(harness.container.uow_factory, stored, [(7001, "private")])
    service = harness.container.trends.service

    assert (await service.refresh(first + timedelta(hours=4))).alerts_queued == 1
    broadcaster = harness.container.trends.broadcaster(harness.bot)
    assert (await broadcaster.deliver_pending()).sent == 1
    assert (await service.refresh(rise - timedelta(hours=6))).alerts_queued == 0  # its level

    assert (await service.refresh(rise)).alerts_queued == 1
    # The sender claims the escalation and dies before sending it.
    outbox = harness.container.trends.outbox
    [claimed], _ = await outbox.claim("crashed-sender", limit=10)
    assert claimed.escalation is not None and claimed.escalation.stage == 1
    assert (await service.refresh(rise + timedelta(minutes=15))).alerts_queued == 0
    assert (await broadcaster.deliver_pending()).sent == 0  # within the dead claim's lease
    outbox.clock = lambda: utc_now() + outbox.lease + timedelta(seconds=1)
    assert (await broadcaster.deliver_pending()).sent == 1
    assert (await broadcaster.deliver_pending()).sent == 0

    first_alert, escalation = (alert["text"] for alert in _alerts(harness.api, 7001))
    assert first_alert.startswith("📈 Trending:") and "Тбилиси" in first_alert
    assert escalation.startswith("📈 Still developing:") and "Тбилиси" in escalation
    assert "24 new posts from 12 channels since" in escalation
    assert f"{first + timedelta(hours=4):%Y-%m-%d %H:%M}" in escalation
    assert await _counts(harness) == {"sent": 2}
    [listing] = await harness.send("/trends", chat_id=7001, user_id=7001)
    assert "Тбилиси" in listing and "rising again" in listing


AFTERSHOCK = [
    "Повторные толчки в Тбилиси: спасатели МЧС Грузии продолжают разбирать завалы после землетрясения",
    "Афтершок магнитудой 4 в Тбилиси, жители ночуют на улицах после землетрясения",
    "После землетрясения в Тбилиси открыли пункты временного размещения для жителей",
    "Спасатели в Тбилиси: число пострадавших при землетрясении выросло",
]


async def test_a_new_facet_of_an_alerted_story_is_the_same_story(
    harness: BotHarness, stored: StoredStream
) -> None:
    """The story grows a new facet (aftershocks, shelters): same key, its posts attached, and
    no second alert — one alert per story, not per facet."""
    uow_factory = harness.container.uow_factory
    tenant_id = (await make_chats(uow_factory, stored, [(7001, "private")]))[7001]
    service = harness.container.trends.service
    assert (await service.refresh(stored.now)).alerts_queued == 1
    async with uow_factory() as uow:
        [before] = await uow.trends.current(tenant_id, stored.now)

    later = stored.now + timedelta(minutes=30)
    await add_posts(uow_factory, stored, [6, 2, 3, 4], AFTERSHOCK, start=later - timedelta(hours=1))
    report = await service.refresh(later)
    assert report.alerts_queued == 0 and report.new_trends == 0
    async with uow_factory() as uow:
        stored_trend = await uow.trends.by_key(tenant_id, before.trend.trend_key)
    assert stored_trend is not None
    assert len(stored_trend.trend.posts) >= len(before.trend.posts) + 3
    assert (await harness.container.trends.broadcaster(harness.bot).deliver_pending()).sent == 1
    assert len(_alerts(harness.api, 7001)) == 1


async def test_with_an_llm_the_alert_carries_a_cited_summary_within_the_budget(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """The LLM sees only the story's posts and writes one cited sentence, shown under the
    headline with its citation linked; later runs reuse it; over budget the alert still goes,
    headline only."""
    fake_llm.reply_with("В Тбилиси произошло землетрясение магнитудой 6 [1][2].")
    async with _quake_with_llm(tmp_path, bot_api, fake_llm, daily_tokens=0) as (harness, now):
        service = harness.container.trends.service
        assert (await service.refresh(now)).alerts_queued == 1
        [request] = fake_llm.chat_requests
        prompt = request["messages"][-1]["content"]
        assert prompt.count("Тбилиси") >= 3 and "футбол" not in prompt.lower()
        assert (await harness.container.trends.broadcaster(harness.bot).deliver_pending()).sent
        [alert] = _alerts(harness.api, 7001)
        assert "землетрясение магнитудой 6" in alert["text"]
        assert '<a href="https://t.me/channel' in alert["text"].split("Why:")[0]

        await service.refresh(now + timedelta(minutes=15))
        assert len(fake_llm.chat_requests) == 1  # the story kept its summary
        async with harness.container.uow_factory() as uow:
            [current] = await service.current(uow, await _tenant_of(uow, 7001))
        assert current.summary and current.summary.endswith("[1][2].")
        assert current.summary_sources[0].startswith("https://t.me/channel")


async def test_over_budget_a_story_has_no_summary_and_its_alert_still_goes(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """A chat whose daily token budget is spent gets no LLM call: headline only, alert sent."""
    async with _quake_with_llm(tmp_path, bot_api, fake_llm, daily_tokens=10) as (harness, now):
        assert (await harness.container.trends.service.refresh(now)).alerts_queued == 1
        assert fake_llm.chat_requests == []
        assert (await harness.container.trends.broadcaster(harness.bot).deliver_pending()).sent
        [alert] = _alerts(harness.api, 7001)
        assert "Trending:" in alert["text"] and "Тбилиси" in alert["text"]


@asynccontextmanager
async def _quake_with_llm(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI, *, daily_tokens: int
) -> AsyncIterator[tuple[BotHarness, datetime]]:
    """The bot with the fake LLM configured, the Tbilisi earthquake stored, chat 7001 following."""
    settings = make_settings(
        tmp_path,
        bot_api,
        openai_base_url=fake_llm.base_url,
        openai_api_key="sk-test",
        llm_model="fake-chat",
        quota_daily_tokens=daily_tokens,
    )
    async with BotHarness(settings, bot_api) as harness:
        now = recent_hour() - timedelta(hours=1)
        stored = await store_stream(harness.container.uow_factory, quake_stream(now), now)
        await make_chats(harness.container.uow_factory, stored, [(7001, "private")])
        yield harness, now


async def _tenant_of(uow: Any, chat_id: int) -> Any:
    tenant = await uow.tenants.by_chat_id(chat_id)
    assert tenant is not None
    return tenant


async def test_stories_of_a_period_are_trend_stories_for_digests(
    harness: BotHarness, stored: StoredStream
) -> None:
    """`TrendService.stories` gives a period's stories as TrendStory: key, headline, actors,
    posts, channels, score; stories outside the period are left out."""
    tenant_id = (await make_chats(harness.container.uow_factory, stored, [(7001, "private")]))[7001]
    service = harness.container.trends.service
    await service.refresh(stored.now)
    hour = (stored.now - timedelta(minutes=30), stored.now + timedelta(minutes=30))
    [story] = await service.stories(tenant_id, *hour)
    assert "Тбилиси" in story.headline and "Тбилиси" in story.actors
    assert story.summary is None and len(story.posts) == 5
    assert story.channels == [f"@channel{n}" for n in range(1, 6)] and story.score > 0
    async with harness.container.uow_factory() as uow:
        [current] = await uow.trends.current(tenant_id, stored.now)
    assert story.key == current.trend.trend_key and story.last_seen == stored.now
    later = stored.now + timedelta(hours=1)
    assert await service.stories(tenant_id, later, later + timedelta(days=1)) == []


async def _stored_trends(harness: BotHarness, chat_id: int) -> int:
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
        assert tenant is not None
        return await uow.trends.count(tenant.id)


async def test_prune_job_forgets_only_trends_unseen_for_the_retention(
    harness: BotHarness, stored: StoredStream
) -> None:
    """`trends-prune` keeps current trends and forgets those unseen for TREND_RETENTION."""
    await make_chats(harness.container.uow_factory, stored, [(7001, "private")])
    await harness.container.trends.service.refresh(stored.now)
    kept = await _stored_trends(harness, 7001)
    assert kept >= 1

    assert await build_jobs(harness.container)["trends-prune"].run(None) == {"pruned": 0}
    assert await _stored_trends(harness, 7001) == kept

    after_retention = stored.now + TREND_RETENTION + timedelta(days=1)
    assert await harness.container.trends.service.prune(after_retention) >= kept
    assert await _stored_trends(harness, 7001) == 0
    [listing] = await harness.send("/trends", chat_id=7001, user_id=7001)
    assert "Nothing is trending" in listing
