"""Subscribing chats to channels through the real Dispatcher, fake Bot API and fake t.me."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.ports import collection_name
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings

NEWS = [f"Новость номер {i}: правительство обсуждает бюджет и выборы" for i in range(1, 31)]


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me with one public channel, one without a preview and one failing."""
    async with FakeTelegramWeb() as web:
        web.add_channel("dailynews", "Daily <News>", NEWS)
        web.add_channel("secretive", "Hidden", ["x"]).private = True
        web.add_channel("flaky", "Flaky", ["y"]).status = 502
        yield web


@pytest.fixture
async def harness(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults (SQLite, Qdrant Edge, lexical)."""
    settings = make_settings(
        tmp_path,
        bot_api,
        telegram_web_base=tme.base_url,
        backfill_posts=25,
        max_channels_per_chat=2,
    )
    async with BotHarness(settings, bot_api) as running:
        yield running


async def test_start_and_help_explain_the_bot(harness: BotHarness) -> None:
    """/start onboards in the user's language; /help lists the commands."""
    [english] = await harness.send("/start")
    assert "/subscribe" in english
    [russian] = await harness.send("/start", user_id=77, language_code="ru")
    assert "Привет" in russian
    [help_text] = await harness.send("/help")
    assert "/unsubscribe" in help_text and "/channels" in help_text


async def test_subscribe_backfills_and_indexes(harness: BotHarness) -> None:
    """/subscribe reads the preview, reports the backfill, and the posts reach the chat's index."""
    [reply] = await harness.send("/subscribe @DailyNews")
    assert "Daily &lt;News&gt;" in reply  # the title is escaped
    assert "25" in reply
    await harness.settle()
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(1001)
    assert tenant is not None
    stats = await harness.container.index.stats(tenant.id)
    assert stats is not None and stats.name == collection_name(tenant.id)
    assert stats.points_count == 25
    [listing] = await harness.send("/channels")
    assert "25" in listing and 'href="https://t.me/dailynews"' in listing
    [again] = await harness.send("/subscribe https://t.me/s/dailynews")
    assert "already" in again


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/subscribe", "Which channel"),
        ("/subscribe @a", "does not look like a channel"),
        ("/subscribe https://example.com/x", "does not look like a channel"),
        ("/subscribe @secretive", "no public web preview"),
        ("/subscribe @nosuchchannel", "no public web preview"),
        ("/subscribe @flaky", "try again later"),
    ],
)
async def test_bad_channel_names_get_a_clear_reason(
    harness: BotHarness, command: str, expected: str
) -> None:
    """Wrong names and unreadable channels are explained, and nothing is subscribed."""
    [reply] = await harness.send(command)
    assert expected in reply
    [listing] = await harness.send("/channels")
    assert "follows no channels" in listing


async def test_channel_limit_per_chat(harness: BotHarness, tme: FakeTelegramWeb) -> None:
    """A chat cannot follow more channels than the configured limit."""
    tme.add_channel("second", "Second", ["a"])
    tme.add_channel("third", "Third", ["b"])
    await harness.send("/subscribe @dailynews")
    await harness.send("/subscribe @second")
    [reply] = await harness.send("/subscribe @third")
    assert "maximum of 2" in reply


async def test_unsubscribe_by_name_and_by_button(harness: BotHarness, tme: FakeTelegramWeb) -> None:
    """Unsubscribing by name or inline button removes the channel and its points for this chat only."""
    tme.add_channel("second", "Second", ["второй канал пишет о погоде"])
    await harness.send("/subscribe @dailynews")
    await harness.send("/subscribe @dailynews", chat_id=2002, user_id=2002)
    await harness.send("/subscribe @second")
    await harness.settle()
    [reply] = await harness.send("/unsubscribe @dailynews")
    assert "Unsubscribed" in reply
    async with harness.container.uow_factory() as uow:
        mine = await uow.tenants.by_chat_id(1001)
        other = await uow.tenants.by_chat_id(2002)
    assert mine is not None and other is not None
    assert (await harness.container.index.stats(mine.id)).points_count == 1  # type: ignore[union-attr]
    assert (await harness.container.index.stats(other.id)).points_count == 25  # type: ignore[union-attr]

    [prompt] = await harness.send("/unsubscribe")
    keyboard = harness.api.sent_messages(1001)[-1]["reply_markup"]["inline_keyboard"]
    assert "Which channel" in prompt and len(keyboard) == 1
    await harness.press(keyboard[0][0]["callback_data"])
    await harness.api.wait_for(  # the subscribe replies are edited too, once indexed
        lambda call: (
            call.method == "editMessageText"
            and "Unsubscribed from <b>Second</b>" in call.params["text"]
        )
    )
    [listing] = await harness.send("/channels")
    assert "follows no channels" in listing


async def test_only_group_admins_change_subscriptions(harness: BotHarness) -> None:
    """In a group, members are refused and administrators may subscribe."""
    group = -100500
    harness.api.add_chat(group, "supergroup", title="Team")
    harness.api.set_chat_admins(group, [42])
    [refused] = await harness.send(
        "/subscribe @dailynews", chat_id=group, user_id=7, chat_type="supergroup"
    )
    assert "Only group administrators" in refused
    [accepted] = await harness.send(
        "/subscribe @dailynews", chat_id=group, user_id=42, chat_type="supergroup"
    )
    assert "Subscribed" in accepted
