"""Who may change what: group admins manage a group's channels; only the bot's admins see /quota, /dlq."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings
from tests.telegram_rules import check_calls

BOT_ADMIN = 4242
GROUP = -1001000000555
OTHER_GROUP = -1001000000666
GROUP_ADMIN = 42
OTHER_ADMIN = 43  # administrator of OTHER_GROUP only
MEMBER = 7
REFUSAL = "⛔ This command is not available."


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The bot; GROUP (admin 42) follows @dailynews; OTHER_GROUP is administered by 43."""
    bot_api.add_chat(GROUP, "supergroup", title="Team")
    bot_api.set_chat_admins(GROUP, [GROUP_ADMIN])
    bot_api.add_chat(OTHER_GROUP, "supergroup", title="Other")
    bot_api.set_chat_admins(OTHER_GROUP, [OTHER_ADMIN])
    async with FakeTelegramWeb() as web:
        web.add_channel("dailynews", "Daily News", [f"новость {n}" for n in range(1, 6)])
        settings = make_settings(
            tmp_path, bot_api, telegram_web_base=web.base_url, admin_ids=frozenset({BOT_ADMIN})
        )
        async with BotHarness(settings, bot_api) as running:
            [reply] = await running.send(
                "/subscribe @dailynews", chat_id=GROUP, user_id=GROUP_ADMIN, chat_type="supergroup"
            )
            assert "Subscribed" in reply
            yield running


async def _in_group(harness: BotHarness, text: str, user_id: int) -> str:
    [reply] = await harness.send(text, chat_id=GROUP, user_id=user_id, chat_type="supergroup")
    return reply


async def _still_followed(harness: BotHarness) -> bool:
    return "Daily News" in await _in_group(harness, "/channels", MEMBER)


@pytest.mark.parametrize("user_id", [MEMBER, OTHER_ADMIN, BOT_ADMIN])
async def test_only_the_groups_admins_unsubscribe(harness: BotHarness, user_id: int) -> None:
    """Members, another group's admin and even the bot's admin cannot unsubscribe a group."""
    harness.api.set_member_status(GROUP, BOT_ADMIN, "member")
    for text in ("/unsubscribe @dailynews", "/unsubscribe", "/subscribe @dailynews"):
        assert "Only group administrators" in await _in_group(harness, text, user_id)
    assert await _still_followed(harness)


async def test_unsubscribe_buttons_check_who_pressed(harness: BotHarness) -> None:
    """The admin's unsubscribe keyboard refuses a member's press and obeys the admin's."""
    prompt = await _in_group(harness, "/unsubscribe", GROUP_ADMIN)
    assert "Which channel" in prompt
    keyboard = harness.api.sent_messages(GROUP)[-1]["reply_markup"]["inline_keyboard"]
    data = keyboard[0][0]["callback_data"]
    for user_id in (MEMBER, OTHER_ADMIN):
        calls = await harness.press(data, chat_id=GROUP, user_id=user_id)
        assert any("Only group administrators" in str(c.get("text")) for c in calls)
        assert not any(c["method"] == "editMessageText" for c in calls)
    harness.api.set_member_status(GROUP, MEMBER, "restricted")
    calls = await harness.press(data, chat_id=GROUP, user_id=MEMBER)
    assert any("Only group administrators" in str(c.get("text")) for c in calls)
    assert await _still_followed(harness)
    await harness.press(data, chat_id=GROUP, user_id=GROUP_ADMIN)
    await harness.api.wait_for("editMessageText", chat_id=GROUP)
    assert not await _still_followed(harness)
    check_calls(harness.api.calls())


async def test_creator_and_alerts_switch_follow_the_same_rule(harness: BotHarness) -> None:
    """The group's creator may switch alerts; a member may only look at their state."""
    harness.api.set_chat_admins(GROUP, [GROUP_ADMIN], creator_id=99)
    assert "administrators" in await _in_group(harness, "/alerts off", MEMBER)
    assert "on" in await _in_group(harness, "/alerts", MEMBER)
    assert "off" in await _in_group(harness, "/alerts off", 99)


@pytest.mark.parametrize(
    "text", ["/quota", f"/quota {GROUP}", "/dlq", "/dlq retry all x", "/dlq purge x"]
)
async def test_group_admins_are_not_bot_admins(harness: BotHarness, text: str) -> None:
    """A group's administrator gets the same bare refusal as anyone for the bot's admin commands."""
    assert await _in_group(harness, text, GROUP_ADMIN) == REFUSAL
    [private] = await harness.send(text, chat_id=MEMBER, user_id=MEMBER)
    assert private == REFUSAL
    sent = [m["text"] for m in harness.api.sent_messages(GROUP)[-1:]]
    assert all(str(GROUP) not in s and "Team" not in s for s in sent)


async def test_usage_comes_before_the_managers_check(harness: BotHarness) -> None:
    """A member who types a command without its argument learns the usage, not a refusal;
    with the argument the router-level check refuses, and nothing changes."""
    assert "/subscribe @" in await _in_group(harness, "/subscribe", MEMBER)
    assert "/alerts on" in await _in_group(harness, "/alerts maybe", MEMBER)
    assert "Only group administrators" in await _in_group(harness, "/subscribe @other", MEMBER)
    assert "administrators" in await _in_group(harness, "/alerts on", MEMBER)
    assert await _still_followed(harness)
    check_calls(harness.api.calls())
