"""Digests end to end: /digest through the real Dispatcher and the fake Bot API, the outbox
across crashes and restarts (no double, no loss, one catch-up digest), and the CLI's JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from bot.views.digests import render_digest
from core.delivery.models import MessageKind, NewMessage
from core.digests.models import Digest, DigestSchedule, DigestSource, DigestStory, Frequency
from core.digests.schedule import latest_slot
from core.models import PostDraft
from tests.digest_support import MOST_READ, news_week, set_schedule
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.telegram_rules import check_markup
from tests.trend_support import make_chats

USER = 7201


@pytest.fixture
def settings(tmp_path: Path, bot_api: FakeBotAPI) -> Settings:
    """One data directory for every (re)start of the bot in a test."""
    return make_settings(tmp_path, bot_api)


@pytest.fixture
async def harness(settings: Settings, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults."""
    async with BotHarness(settings, bot_api) as running:
        yield running


def _digests(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["text"] for m in api.sent_messages(chat_id) if "📰 <b>Digest</b>" in m["text"]]


async def test_digest_settings_and_bad_input_in_english(harness: BotHarness) -> None:
    """/digest shows settings with buttons; schedules, topics and off are saved; bad input is
    refused with an example and changes nothing."""
    send: dict[str, Any] = {"chat_id": USER, "user_id": USER}
    [shown] = await harness.send("/digest", **send)
    assert "Schedule: off" in shown and "Time zone: UTC" in shown
    keyboard = harness.api.sent_messages(USER)[-1]["reply_markup"]["inline_keyboard"]
    assert len([button for row in keyboard for button in row]) == 4

    [bad_time] = await harness.send("/digest daily 25:00 Europe/Moscow", **send)
    assert "<code>25:00</code> is not a time" in bad_time and "/digest daily 09:00" in bad_time
    [bad_zone] = await harness.send("/digest daily 09:00 Mars/Olympus", **send)
    assert "Mars/Olympus" in bad_zone and "IANA" in bad_zone
    [bad_day] = await harness.send("/digest weekly someday 09:00", **send)
    assert "not a day of the week" in bad_day
    [usage] = await harness.send("/digest hourly", **send)
    assert "Send it like this" in usage
    [still_off] = await harness.send("/digest", **send)
    assert "Schedule: off" in still_off

    [saved] = await harness.send("/digest weekly mon 07:30 Europe/Moscow", **send)
    assert "weekly on Mon at 07:30 (Europe/Moscow)" in saved and "Next one:" in saved
    [topics] = await harness.send("/digest topics нефть ставка", **send)
    assert "нефть, ставка" in topics
    [shown] = await harness.send("/digest", **send)
    assert "weekly on Mon at 07:30" in shown and "Topics: нефть, ставка" in shown
    [off] = await harness.send("/digest off", **send)
    assert "off" in off
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(USER)
        assert tenant is not None
        schedule = await harness.container.digests.schedule(uow, tenant)
    assert schedule.frequency is Frequency.OFF and schedule.timezone == "Europe/Moscow"
    assert schedule.topics == ("нефть", "ставка") and schedule.minute_of_day == 7 * 60 + 30


async def test_digest_commands_in_russian_and_buttons(harness: BotHarness) -> None:
    """Russian replies, Russian day names, and the settings buttons switch the schedule."""
    ru: dict[str, Any] = {"chat_id": USER, "user_id": USER, "language_code": "ru"}
    [bad] = await harness.send("/digest daily 9ч", **ru)
    assert "не время" in bad and "/digest daily 09:00 Europe/Moscow" in bad
    [saved] = await harness.send("/digest weekly пт 18:00 Asia/Yekaterinburg", **ru)
    assert "раз в неделю, пт в 18:00 (Asia/Yekaterinburg)" in saved
    await harness.send("/digest", **ru)
    keyboard = harness.api.sent_messages(USER)[-1]["reply_markup"]["inline_keyboard"]
    daily = keyboard[0][0]["callback_data"]
    calls = await harness.press(daily, chat_id=USER, user_id=USER, language_code="ru")
    [edited] = [call for call in calls if call["method"] == "editMessageText"]
    assert "каждый день в 09:00" in edited["text"] and "Asia/Yekaterinburg" in edited["text"]


async def test_group_members_cannot_change_the_digest(harness: BotHarness) -> None:
    """In a group only administrators change the digest; anyone may see it or get one now."""
    group = -1001888000001
    harness.api.add_chat(group, "supergroup")
    harness.api.set_chat_admins(group, [5001])
    member: dict[str, Any] = {"chat_id": group, "user_id": 5002, "chat_type": "supergroup"}
    [refused] = await harness.send("/digest daily 09:00", **member)
    assert "administrators" in refused
    [shown] = await harness.send("/digest", **member)
    assert "Schedule: off" in shown
    [done] = await harness.send(
        "/digest daily 09:00", chat_id=group, user_id=5001, chat_type="supergroup"
    )
    assert "daily at 09:00" in done


async def test_digest_now_ranks_stories_cites_sources_and_marks_alerts(
    harness: BotHarness,
) -> None:
    """/digest now: the trend and the most-read two-channel story, numbered source links,
    extractive summaries; a trend already sent as an alert is marked, not repeated."""
    uow_factory = harness.container.uow_factory
    stored = await news_week(uow_factory)
    await make_chats(uow_factory, stored, [(USER, "private")])
    await harness.container.trends.service.refresh(stored.now)
    [digest] = await harness.send("/digest now", chat_id=USER, user_id=USER)
    check_markup(digest)
    assert digest.startswith("📰 <b>Digest</b>")
    assert "Тбилиси" in digest and MOST_READ[0][:30] in digest
    assert '[1] <a href="https://t.me/channel' in digest and "[2] <a href" in digest
    assert "already sent as an alert" not in digest

    await harness.container.trends.broadcaster(harness.bot).deliver_pending()
    [again] = await harness.send("/digest now", chat_id=USER, user_id=USER)
    assert "🔔" in again and "already sent as an alert" in again
    [quake] = [block for block in again.split("\n\n") if "Тбилиси" in block]
    assert "already sent" in quake and "[1]" in quake  # links kept, summary not repeated
    assert len(quake.splitlines()) == 2  # headline and links: no summary line


async def test_scheduled_digest_is_sent_exactly_once_across_a_restart(
    settings: Settings, bot_api: FakeBotAPI
) -> None:
    """A due digest is queued once and sent once; another pass, a restart and another
    delivery pass send nothing more."""
    async with BotHarness(settings, bot_api) as first:
        stored = await news_week(first.container.uow_factory)
        await make_chats(first.container.uow_factory, stored, [(USER, "private")])
        now = stored.now
        slot = latest_slot(DigestSchedule(frequency=Frequency.DAILY), now)
        assert slot is not None
        await set_schedule(first.container.uow_factory, USER, slot - timedelta(days=1))
        report = await first.container.digests.run_due(now)
        assert report.queued == 1
        assert (await first.container.digests.run_due(now)).queued == 0
        delivered = await first.container.messages.broadcaster(first.bot).deliver_pending()
        assert delivered.sent == 1
    async with BotHarness(settings, bot_api) as second:
        assert (await second.container.digests.run_due(now + timedelta(minutes=5))).queued == 0
        assert (await second.container.messages.broadcaster(second.bot).deliver_pending()).sent == 0
        assert await second.container.messages.outbox.counts() == {"sent": 1}
    [digest] = _digests(bot_api, USER)
    assert f"{slot - timedelta(days=1):%Y-%m-%d %H:%M} — {slot:%Y-%m-%d %H:%M}" in digest
    assert '[1] <a href="https://t.me/channel' in digest


async def test_digest_queued_before_a_crash_is_sent_after_restart(
    settings: Settings, bot_api: FakeBotAPI
) -> None:
    """Queued, then the process dies before sending (or while holding the claim): the next
    process sends it once, after the claim's lease ran out."""
    async with BotHarness(settings, bot_api) as first:
        stored = await news_week(first.container.uow_factory)
        await make_chats(first.container.uow_factory, stored, [(USER, "private")])
        slot = latest_slot(DigestSchedule(frequency=Frequency.DAILY), stored.now)
        assert slot is not None
        await set_schedule(first.container.uow_factory, USER, slot - timedelta(days=1))
        assert (await first.container.digests.run_due(stored.now)).queued == 1
        claimed, _ = await first.container.messages.outbox.claim("crashed-process", 10)
        assert len(claimed) == 1  # claimed, never sent: the process "dies" here
    assert _digests(bot_api, USER) == []
    async with BotHarness(settings, bot_api) as second:
        outbox = second.container.messages.outbox
        assert (await second.container.messages.broadcaster(second.bot).deliver_pending()).sent == 0
        outbox.clock = lambda: datetime.now(UTC) + outbox.lease + timedelta(seconds=1)
        assert (await second.container.messages.broadcaster(second.bot).deliver_pending()).sent == 1
        assert await outbox.counts() == {"sent": 1}
    assert len(_digests(bot_api, USER)) == 1


async def test_downtime_gives_one_catch_up_digest_covering_the_gap(harness: BotHarness) -> None:
    """Three missed daily slots: one digest from the last one covered to the latest slot."""
    uow_factory = harness.container.uow_factory
    stored = await news_week(uow_factory)
    await make_chats(uow_factory, stored, [(USER, "private")])
    slot = latest_slot(DigestSchedule(frequency=Frequency.DAILY), stored.now)
    assert slot is not None
    await set_schedule(uow_factory, USER, slot - timedelta(days=4))
    report = await harness.container.digests.run_due(stored.now)
    assert report.due == 1 and report.queued == 1
    assert (await harness.container.digests.run_due(stored.now + timedelta(hours=1))).queued == 0
    await harness.container.messages.broadcaster(harness.bot).deliver_pending()
    [digest] = _digests(harness.api, USER)
    start = slot - timedelta(days=4)
    assert f"{start:%Y-%m-%d %H:%M} — {slot:%Y-%m-%d %H:%M} (UTC)" in digest
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(USER)
        assert tenant is not None
        schedule = await harness.container.digests.schedule(uow, tenant)
    assert schedule.covered_until == slot


async def test_long_digest_resumes_after_the_last_part_sent(harness: BotHarness) -> None:
    """A three-part message whose second part failed goes on from the second part: each part
    arrives once, in order; a 429 is waited out."""
    uow_factory = harness.container.uow_factory
    await make_chats(uow_factory, await news_week(uow_factory), [(USER, "private")])
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(USER)
        assert tenant is not None
        now = datetime.now(UTC)
        parts = [f"📰 <b>Digest</b> part {n}" for n in (1, 2, 3)]
        message = NewMessage(tenant.id, USER, None, MessageKind.DIGEST, "digest:test", parts, now)
        await uow.messages.enqueue([message], now)
        await uow.commit()
    harness.api.fail_next("sendMessage", 429, retry_after=1)
    harness.api.fail_next("sendMessage", 502, times=1)
    broadcaster = harness.container.messages.broadcaster(harness.bot)
    first = await broadcaster.deliver_pending()
    assert first.rate_limited == 1
    outbox = harness.container.messages.outbox
    outbox.clock = lambda: datetime.now(UTC) + timedelta(minutes=2)
    delivered = first.sent + (await broadcaster.deliver_pending()).sent
    assert delivered == 1
    assert _digests(harness.api, USER) == parts
    assert await outbox.counts() == {"sent": 1}


async def test_blocked_chat_is_dropped_from_digests_and_watches(harness: BotHarness) -> None:
    """A chat that blocked the bot: its digest fails once, digests go off, watches are removed."""
    uow_factory = harness.container.uow_factory
    await harness.send("/watch нефть", chat_id=USER, user_id=USER)
    stored = await news_week(uow_factory)
    await make_chats(uow_factory, stored, [(USER, "private")])
    slot = latest_slot(DigestSchedule(frequency=Frequency.DAILY), stored.now)
    assert slot is not None
    await set_schedule(uow_factory, USER, slot - timedelta(days=1))
    await harness.container.digests.run_due(stored.now)
    harness.api.forbid(USER)
    report = await harness.container.messages.broadcaster(harness.bot).deliver_pending()
    assert report.blocked == 1 and report.sent == 0
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(USER)
        assert tenant is not None
        assert (await harness.container.digests.schedule(uow, tenant)).frequency is Frequency.OFF
        assert await uow.watches.for_tenant(tenant.id) == []


async def test_stories_are_ranked_by_the_chats_interests(harness: BotHarness) -> None:
    """Two stories read about as much: the one the chat's people care about comes first."""
    uow_factory = harness.container.uow_factory
    stored = await news_week(uow_factory)
    await make_chats(uow_factory, stored, [(USER, "private")])
    mortgage = [
        "Ставки по ипотеке снизились до минимума за год, сообщили крупные банки страны",
        "Крупные банки страны снизили ставки по ипотеке до минимума за год",
    ]
    async with uow_factory() as uow:
        for channel, text in zip((3, 4), mortgage, strict=True):
            draft = PostDraft(message_id=91_000 + channel, date=stored.now, text=text, views=60_000)
            await uow.posts.upsert_many(stored.channel_ids[channel], [draft])
        await uow.commit()

    def order(digest: Digest) -> list[str]:
        return [
            s.headline[:20]
            for s in digest.stories
            if "ипотек" in s.headline or "Кубок" in s.headline
        ]

    before = order(await harness.container.digests.for_chat(USER))
    assert before[0].startswith("Ставки по ипотеке")
    await harness.send("/interests add регби", chat_id=USER, user_id=USER)
    after = order(await harness.container.digests.for_chat(USER))
    assert after[0].startswith("Сборная по регби")


async def test_digest_here_sends_digests_to_the_forum_topic(harness: BotHarness) -> None:
    """/digest here in a topic: the scheduled digest carries that message_thread_id."""
    group = -1001888000002
    harness.api.add_chat(group, "supergroup")
    harness.api.set_chat_admins(group, [5001])
    uow_factory = harness.container.uow_factory
    stored = await news_week(uow_factory)
    await make_chats(uow_factory, stored, [(group, "supergroup")])
    topic: dict[str, Any] = {
        "message_thread_id": 9,
        "is_topic_message": True,
        "chat_type": "supergroup",
    }
    [chosen] = await harness.send("/digest here", chat_id=group, user_id=5001, **topic)
    assert "Digests of this chat will come to this topic" in chosen
    slot = latest_slot(DigestSchedule(frequency=Frequency.DAILY), stored.now)
    assert slot is not None
    await set_schedule(uow_factory, group, slot - timedelta(days=1))
    await harness.container.digests.run_due(stored.now)
    await harness.container.messages.broadcaster(harness.bot).deliver_pending()
    [digest] = [m for m in harness.api.sent_messages(group) if "📰 <b>Digest</b>" in m["text"]]
    assert digest["message_thread_id"] == 9


def test_long_digest_splits_between_stories_within_telegrams_limit() -> None:
    """Forty long stories: every part is valid HTML within 4096 characters, no story is cut."""
    now = datetime(2024, 12, 1, 9, 0, tzinfo=UTC)
    stories = [
        DigestStory(
            headline=f"История {number} <важная> & длинная",
            summary="Очень длинное изложение событий дня. " * 6 + f"[{1}]",
            sources=[DigestSource("@channel", number, f"https://t.me/channel/{number}")],
            kind="posts",
        )
        for number in range(1, 41)
    ]
    parts = render_digest("ru", Digest(now - timedelta(days=1), now, stories), "Europe/Moscow")
    assert len(parts) > 1
    for part in parts:
        check_markup(part)
        assert len(part) <= 4096
    joined = "\n\n".join(parts)
    for number in range(1, 41):
        assert joined.count(f"{number}. <b>История {number} &lt;важная&gt; &amp; длинная</b>") == 1
        block = next(p for p in parts if f"История {number} &lt;" in p)
        assert f"https://t.me/channel/{number}" in block  # the story's links stay with it
    assert parts[0].startswith("📰 <b>Дайджест</b> · 2024-11-30 12:00 — 2024-12-01 12:00")
