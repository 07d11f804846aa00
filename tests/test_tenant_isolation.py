"""Tenant isolation: one chat never retrieves, lists, alerts on or sees quotas of another's data.

Chat A (a private chat) follows one economics channel; chat B (a supergroup) follows six
channels carrying the Tbilisi earthquake story. Everything goes through the real Dispatcher and
the fake Bot API (or the real CLI), and every reply to A is checked for B's words and links.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import utc_now
from core.ports import collection_name
from tests.cli import CliResult, run_cli, write_export
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, eventually, make_settings
from tests.rag_support import seed_channel
from tests.telegram_rules import check_calls
from tests.trend_support import StoredStream, make_chats, quake_stream, recent_hour, store_stream

CHAT_A = 1001
USER_A = 1001
CHAT_B = -1001000000777
ADMIN_B = 42
BOT_ADMIN = 4242
ECONOMY = [
    "Центробанк повысил ключевую ставку до 21%, рекорд за всю историю",
    "Аналитики ждут, что ключевая ставка останется высокой до конца года",
    "Курс доллара снизился после решения регулятора по ставке",
]
B_MARKERS = ("Тбилиси", "землетрясен", "t.me/channel", "Channel ")
PRIVATE_CHANNEL = -1001999888777


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The bot with one admin; B is a supergroup whose admin is ADMIN_B."""
    settings = make_settings(tmp_path, bot_api, admin_ids=frozenset({BOT_ADMIN}))
    bot_api.add_chat(CHAT_B, "supergroup", title="Chat B")
    bot_api.set_chat_admins(CHAT_B, [ADMIN_B])
    async with BotHarness(settings, bot_api) as running:
        yield running


@pytest.fixture
async def two_chats(harness: BotHarness) -> dict[str, Any]:
    """A follows @economy; B follows channel1..6 with the earthquake; both indexed, trends run."""
    uow_factory = harness.container.uow_factory
    tenant_a, _ = await seed_channel(uow_factory, CHAT_A, ECONOMY, username="economy")
    now = recent_hour() - timedelta(hours=1)
    stored: StoredStream = await store_stream(uow_factory, quake_stream(now), now)
    tenant_b = (await make_chats(uow_factory, stored, [(CHAT_B, "supergroup")]))[CHAT_B]
    for tenant_id in (tenant_a, tenant_b):
        await harness.container.indexer.index_tenant(tenant_id)
    await harness.container.trends.service.refresh(utc_now())
    return {"a": tenant_a, "b": tenant_b, "stored": stored}


def _assert_nothing_of_b(texts: list[str]) -> None:
    for text in texts:
        for marker in B_MARKERS:
            assert marker not in text, f"chat A saw {marker!r}: {text[:300]}"


async def test_questions_and_filters_never_reach_another_chats_posts(
    harness: BotHarness, two_chats: dict[str, Any]
) -> None:
    """A's questions about B's story find nothing of B; /ask @B-channel is refused like a typo."""
    [b_answer] = await harness.send(
        "/ask землетрясение в Тбилиси", chat_id=CHAT_B, user_id=7, chat_type="supergroup"
    )
    assert "Тбилиси" in b_answer  # the control: B does retrieve its own posts
    replies = await harness.send("землетрясение в Тбилиси")
    replies += await harness.send("/ask землетрясение Тбилиси толчки")
    replies += await harness.send("/ask 30d сейсмологи Грузии")
    [followed_elsewhere] = await harness.send("/ask @channel1 землетрясение")
    [does_not_exist] = await harness.send("/ask @nosuchchan землетрясение")
    _assert_nothing_of_b([*replies, followed_elsewhere, does_not_exist])
    assert "does not follow @channel1" in followed_elsewhere
    # Same answer whether the channel exists elsewhere or nowhere: no existence oracle.
    assert followed_elsewhere.replace("channel1", "X") == does_not_exist.replace("nosuchchan", "X")
    check_calls(harness.api.calls())


async def test_lists_trends_alerts_and_quota_stay_within_the_chat(
    harness: BotHarness, two_chats: dict[str, Any]
) -> None:
    """/channels, /trends, alerts, trend buttons and /quota show A nothing of B."""
    [channels_a] = await harness.send("/channels")
    assert "economy" in channels_a
    [trends_a] = await harness.send("/trends")
    assert "Nothing is trending" in trends_a
    [trends_b] = await harness.send("/trends", chat_id=CHAT_B, user_id=7, chat_type="supergroup")
    assert "Тбилиси" in trends_b  # the control

    delivered = await harness.container.trends.broadcaster(harness.bot).deliver_pending()
    assert delivered.sent == 1
    assert all(
        "trmute" not in str(m.get("reply_markup")) for m in harness.api.sent_messages(CHAT_A)
    )
    [alert_b] = [m for m in harness.api.sent_messages(CHAT_B) if "trmute" in str(m)]
    mute_b = alert_b["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # B's mute button replayed in A: A has no such trend, so nothing is muted or shown.
    calls = await harness.press(mute_b, chat_id=CHAT_A, user_id=USER_A, message_id=1)
    answers = [c for c in calls if c["method"] == "answerCallbackQuery"]
    assert answers and "Тбилиси" not in str(answers) and "Muted" not in str(answers)
    [trends_b_after] = await harness.send(
        "/trends", chat_id=CHAT_B, user_id=7, chat_type="supergroup"
    )
    assert "Тбилиси" in trends_b_after

    for text in ("/quota", f"/quota {CHAT_B}"):
        [refused] = await harness.send(text)
        assert refused == "⛔ This command is not available."
    [admin_view] = await harness.send("/quota", chat_id=BOT_ADMIN, user_id=BOT_ADMIN)
    assert str(CHAT_B) in admin_view  # the control: the bot's admin does see every chat
    _assert_nothing_of_b(
        [m["text"] for m in harness.api.sent_messages(CHAT_A)]
        + [str(c.params) for c in harness.api.calls("answerCallbackQuery")]
    )
    check_calls(harness.api.calls())


async def test_unsubscribe_buttons_cannot_touch_another_chats_subscriptions(
    harness: BotHarness, two_chats: dict[str, Any]
) -> None:
    """An unsubscribe button carrying B's channel id, pressed in A, leaves B's index intact."""
    stored: StoredStream = two_chats["stored"]
    before = await harness.container.index.stats(two_chats["b"])
    assert before is not None
    for channel_id in stored.channel_ids.values():
        calls = await harness.press(
            f"unsub:{channel_id}", chat_id=CHAT_A, user_id=USER_A, message_id=1
        )
        assert not any(c["method"] == "editMessageText" for c in calls)
    # A member (not admin) of B pressing B's own button is refused too.
    calls = await harness.press(
        f"unsub:{stored.channel_ids[1]}", chat_id=CHAT_B, user_id=7, message_id=1
    )
    assert any("Only group administrators" in str(c.get("text")) for c in calls)
    after = await harness.container.index.stats(two_chats["b"])
    assert after is not None and after.points_count == before.points_count
    [channels_b] = await harness.send(
        "/channels", chat_id=CHAT_B, user_id=7, chat_type="supergroup"
    )
    assert "(6)" in channels_b


async def test_each_chat_has_its_own_index_collection(
    harness: BotHarness, two_chats: dict[str, Any]
) -> None:
    """Collections are per tenant (t{id}_posts) and a search in A's never returns B's posts."""
    index = harness.container.index
    stats_a = await index.stats(two_chats["a"])
    stats_b = await index.stats(two_chats["b"])
    assert stats_a is not None and stats_b is not None
    assert stats_a.name == collection_name(two_chats["a"]) != stats_b.name
    assert stats_a.points_count == len(ECONOMY)
    outcome = await harness.container.questions.search(two_chats["a"], "землетрясение Тбилиси")
    _assert_nothing_of_b([source.snippet + source.post.url for source in outcome.results])


async def test_private_channels_are_only_followed_by_their_members(
    harness: BotHarness, two_chats: dict[str, Any]
) -> None:
    """A channel the bot administers without a username is followed only by its members."""
    api = harness.api
    api.add_chat(PRIVATE_CHANNEL, "channel", title="Private board")
    api.set_member_status(PRIVATE_CHANNEL, ADMIN_B, "member")
    api.set_member_status(PRIVATE_CHANNEL, USER_A, "left")  # what Telegram says of outsiders
    update = api.channel_post("Секретное решение совета директоров", chat_id=PRIVATE_CHANNEL)
    api.add_update(update)
    await harness.container.background_indexer.drain()

    async def stored_channel() -> bool:
        async with harness.container.uow_factory() as uow:
            return await uow.channels.by_telegram_id(PRIVATE_CHANNEL) is not None

    await eventually(stored_channel)
    [refused] = await harness.send(f"/subscribe {PRIVATE_CHANNEL}")  # user 1001: not a member
    [unknown] = await harness.send("/subscribe -1001999888000")
    assert "can't read" in refused
    assert refused.replace("1999888777", "X") == unknown.replace("1999888000", "X")
    [accepted] = await harness.send(
        f"/subscribe {PRIVATE_CHANNEL}", chat_id=CHAT_B, user_id=ADMIN_B, chat_type="supergroup"
    )
    assert "Subscribed" in accepted
    [listing] = await harness.send("/channels")
    assert "Private board" not in listing


# --- the command line ---------------------------------------------------------------------


QUAKE_TEXTS = [
    "Землетрясение магнитудой 6 произошло в Тбилиси",
    "Сейсмологи: землетрясение в Тбилиси стало самым сильным за десять лет",
]


def test_cli_ask_and_search_only_use_the_given_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tgassist ask/search --chat A` never returns posts imported for chat B."""

    def cli(*argv: str) -> CliResult:
        return run_cli(monkeypatch, capsys, tmp_path, *argv)

    run: Callable[..., CliResult] = cli
    economy = write_export(
        tmp_path / "economy" / "result.json", 1555000111, ECONOMY, name="Экономика"
    )
    quake = write_export(tmp_path / "quake" / "result.json", 1555000222, QUAKE_TEXTS, name="Сейсмо")
    assert run("import", str(economy), "--chat", "42", "--json").code == 0
    assert run("import", str(quake), "--chat", "43", "--json").code == 0

    control = run("search", "землетрясение Тбилиси", "--chat", "43", "--json").json()
    assert control["results"]
    mine = run("search", "землетрясение Тбилиси", "--chat", "42", "--json").json()
    assert all("1555000222" not in item["url"] for item in mine["results"])
    asked = run("ask", "землетрясение в Тбилиси", "--chat", "42", "--json")
    value = asked.json()
    assert all("1555000222" not in source["url"] for source in value["sources"])
    assert "Тбилиси" not in value["answer"]
    unknown = run("search", "землетрясение", "--chat", "44", "--json").json()
    assert unknown["status"] == "not_indexed" and unknown["results"] == []
