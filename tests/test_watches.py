"""Keyword watches end to end: real Dispatcher, fake Bot API, SQLite; and the matcher itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import utc_now as utcnow
from core.models import PostDraft
from core.watches.expression import InvalidWatch, parse_watch
from core.watches.matcher import PostStems, matches
from core.watches.models import Watch
from storage.models import PostRow
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, eventually, make_settings
from tests.telegram_rules import check_markup
from tests.watch_support import CHANNEL_NAME, follow_channel, hits, post

USER = 7101


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults and small watch limits."""
    settings = make_settings(tmp_path, bot_api, watch_max_per_chat=3, watch_max_messages_per_hour=2)
    async with BotHarness(settings, bot_api) as running:
        yield running


def _watch(expression: str) -> Watch:
    return Watch(1, 1, expression, parse_watch(expression))


def test_stems_phrases_and_exclusions_match_as_documented() -> None:
    """Stems match any form, case and ё-insensitively; phrases need adjacency; -words exclude."""
    rate = _watch('"ключевая ставка" -прогноз')
    assert matches(rate, PostStems.of("ЦБ повысил КЛЮЧЕВУЮ СТАВКУ до 21%"))
    assert not matches(rate, PostStems.of("Ключевая новость: ставка по ипотеке выросла"))
    assert not matches(rate, PostStems.of("Прогноз: ключевую ставку сохранят"))
    assert matches(_watch("ёлка"), PostStems.of("Главную елку страны нарядили"))
    assert matches(_watch("Elections"), PostStems.of("The election results are in"))
    both = _watch("нефть OPEC")
    assert matches(both, PostStems.of("OPEC снизила добычу нефти"))
    assert not matches(both, PostStems.of("Цены на нефть растут"))


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "watch_usage"),
        ("-прогноз -погода", "watch_only_exclusions"),
        ("и в на", "watch_stop_words"),
        ("ai", "watch_too_short"),
        ("x" * 201, "watch_too_long"),
        ("a1 b2 c3 d4 e5 f6 g7 h8 i9", "watch_too_many_terms"),
    ],
)
def test_watches_that_would_match_everything_are_refused(expression: str, reason: str) -> None:
    """Empty, only exclusions, stop words, too short, too long, too many: refused with a reason."""
    with pytest.raises(InvalidWatch) as refused:
        parse_watch(expression)
    assert refused.value.reason == reason


def test_acronyms_in_capitals_are_allowed() -> None:
    """Two capital letters are a name (ЦБ, EU), not a too-short word."""
    assert parse_watch("ЦБ").include[0].stems == ("цб",)


async def test_watch_add_list_remove_in_english(harness: BotHarness) -> None:
    """/watch adds, /watch lists with buttons, /unwatch N and the button remove; bad input refused."""
    [usage] = await harness.send("/unwatch", chat_id=USER, user_id=USER)
    assert "/unwatch 2" in usage
    [empty] = await harness.send("/watch", chat_id=USER, user_id=USER)
    assert "watches no keywords" in empty
    [added] = await harness.send('/watch "interest rate" -forecast', chat_id=USER, user_id=USER)
    assert "Watch 1 added" in added and "&quot;interest rate&quot; -forecast" in added
    [refused] = await harness.send("/watch -forecast", chat_id=USER, user_id=USER)
    assert "not only" in refused
    [short] = await harness.send("/watch ai", chat_id=USER, user_id=USER)
    assert "too short" in short
    await harness.send("/watch bitcoin", chat_id=USER, user_id=USER)
    await harness.send("/watch oil -gas", chat_id=USER, user_id=USER)
    [limit] = await harness.send("/watch gold", chat_id=USER, user_id=USER)
    assert "maximum of 3" in limit

    [listing] = await harness.send("/watch", chat_id=USER, user_id=USER)
    check_markup(listing)
    assert (
        "1. <code>&quot;interest rate&quot; -forecast</code>" in listing
        and "3. <code>oil -gas" in listing
    )
    keyboard = harness.api.sent_messages(USER)[-1]["reply_markup"]["inline_keyboard"]
    buttons = [button["callback_data"] for row in keyboard for button in row]
    assert len(buttons) == 3

    [gone] = await harness.send("/unwatch 9", chat_id=USER, user_id=USER)
    assert "no watch number 9" in gone
    [removed] = await harness.send("/unwatch 2", chat_id=USER, user_id=USER)
    assert "removed" in removed and "bitcoin" in removed
    calls = await harness.press(buttons[0], chat_id=USER, user_id=USER)
    edited = [call for call in calls if call["method"] == "editMessageText"]
    assert edited and "interest rate" not in edited[0]["text"] and "oil -gas" in edited[0]["text"]
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(USER)
        assert tenant is not None
        left = await harness.container.watches.service.watches(uow, tenant)
    assert [watch.expression for watch in left] == ["oil -gas"]


async def test_watch_commands_in_russian(harness: BotHarness) -> None:
    """Russian clients get Russian replies, refusals included."""
    ru: dict[str, Any] = {"chat_id": USER, "user_id": USER, "language_code": "ru"}
    [added] = await harness.send('/watch "ключевая ставка" -прогноз', **ru)
    assert "Отслеживание 1 добавлено" in added
    [refused] = await harness.send("/watch и на", **ru)
    assert "слишком частое слово" in refused
    [listing] = await harness.send("/watch", **ru)
    assert "Отслеживания этого чата (1 из 3)" in listing
    [usage] = await harness.send("/unwatch два", **ru)
    assert "номер из /watch" in usage


async def test_matching_post_is_sent_at_once_with_highlights(harness: BotHarness) -> None:
    """A new channel post matching a watch reaches the chat with the words in <b> and a link."""
    await harness.send('/watch "ключевая ставка" -прогноз', chat_id=USER, user_id=USER)
    await follow_channel(harness, [(USER, "private")])
    post(harness.api, "Прогноз: ключевую ставку сохранят", 1)
    post(harness.api, "Банк России повысил <ключевую ставку> до 21% & сохранил сигнал", 2)
    post(harness.api, "Погода на выходные", 3)
    [hit] = await eventually(lambda: _hits(harness, USER, 1))
    text = hit["text"]
    check_markup(text)
    assert "<b>ключевую</b> <b>ставку</b>" in text and "&lt;" in text and "&amp;" in text
    assert f'href="https://t.me/{CHANNEL_NAME}/2"' in text
    await harness.container.watches.drain()
    assert len(hits(harness.api, USER)) == 1  # the excluded and the unrelated post: nothing


async def test_hits_within_a_minute_are_grouped_and_hourly_limit_holds(
    harness: BotHarness,
) -> None:
    """Posts matched together make one message; hits less than a minute after the chat's last
    one wait out the minute and go as one message; past the hourly limit hits are dropped."""
    await harness.send("/watch нефть", chat_id=USER, user_id=USER)
    channel_id = await follow_channel(harness, [(USER, "private")])
    watches = harness.container.watches
    outbox = harness.container.messages.outbox

    async def store(start: int, count: int) -> None:
        async with harness.container.uow_factory() as uow:
            drafts = [
                PostDraft(message_id=start + n, date=utcnow(), text=f"Нефть дорожает, день {n}")
                for n in range(count)
            ]
            await uow.posts.upsert_many(channel_id, drafts)
            await uow.commit()

    await store(100, 3)
    first = await watches.run(harness.bot)
    assert first == {"posts": 3, "hits": 3, "messages": 1, "sent": 1}
    [grouped] = hits(harness.api, USER)
    assert "New posts matching this chat's watches: 3" in grouped["text"]
    assert grouped["text"].count("<b>Нефть</b>") == 3

    await store(200, 1)
    held = await watches.run(harness.bot)
    assert held["messages"] == 1 and held["sent"] == 0  # a minute after the last one
    await store(300, 1)
    joined = await watches.run(harness.bot)
    assert joined["hits"] == 1 and joined["messages"] == 0 and joined["sent"] == 0
    outbox.clock = lambda: utcnow() + timedelta(seconds=61)
    assert (await watches.delivery.broadcaster(harness.bot).deliver_pending()).sent == 1
    second = hits(harness.api, USER)[1]["text"]
    assert "New posts matching this chat's watches: 2" in second
    assert "https://t.me/newsroom/200" in second and "https://t.me/newsroom/300" in second

    watches.service.clock = lambda: utcnow() + timedelta(minutes=5)
    await store(400, 1)
    over = await watches.run(harness.bot)
    assert over["hits"] == 0 and len(hits(harness.api, USER)) == 2  # limit: 2 messages an hour


async def test_group_members_cannot_change_watches(harness: BotHarness) -> None:
    """In a group only administrators add or remove watches; members may list them."""
    group = -1001777000099
    harness.api.add_chat(group, "supergroup")
    harness.api.set_chat_admins(group, [5001])
    [refused] = await harness.send(
        "/watch нефть", chat_id=group, user_id=5002, chat_type="supergroup"
    )
    assert "administrators" in refused
    [added] = await harness.send(
        "/watch нефть", chat_id=group, user_id=5001, chat_type="supergroup"
    )
    assert "added" in added
    [listing] = await harness.send("/watch", chat_id=group, user_id=5002, chat_type="supergroup")
    assert "нефть" in listing
    [refused] = await harness.send(
        "/unwatch 1", chat_id=group, user_id=5002, chat_type="supergroup"
    )
    assert "administrators" in refused


async def test_watch_here_sends_hits_to_the_forum_topic(harness: BotHarness) -> None:
    """/watch here in a forum topic: later hits carry that message_thread_id."""
    group = -1001777000100
    harness.api.add_chat(group, "supergroup")
    harness.api.set_chat_admins(group, [5001])
    admin: dict[str, Any] = {"chat_id": group, "user_id": 5001, "chat_type": "supergroup"}
    [outside] = await harness.send("/watch here", **admin)
    assert "inside a topic" in outside
    [here] = await harness.send("/watch here", message_thread_id=77, is_topic_message=True, **admin)
    assert "this topic" in here
    await harness.send("/watch нефть", **admin)
    await follow_channel(harness, [(group, "supergroup")])
    post(harness.api, "Нефть подешевела", 5)
    [hit] = await eventually(lambda: _hits(harness, group, 1))
    assert hit["message_thread_id"] == 77


async def _hits(harness: BotHarness, chat_id: int, count: int) -> list[dict[str, object]] | None:
    found = hits(harness.api, chat_id)
    return found if len(found) >= count else None


async def test_a_post_committed_late_below_the_cursor_is_still_matched(
    harness: BotHarness,
) -> None:
    """An id the cursor passed before its post was stored (a slower transaction took it first,
    as PostgreSQL sequences allow) is matched once the post appears, and only once."""
    await harness.send("/watch нефть", chat_id=USER, user_id=USER)
    channel_id = await follow_channel(harness, [(USER, "private")])
    watches = harness.container.watches
    async with harness.container.uow_factory() as uow:
        drafts = [
            PostDraft(message_id=n, date=utcnow(), text=f"Погода, день {n}") for n in (1, 2, 3)
        ]
        await uow.posts.upsert_many(channel_id, drafts)
        session = uow.session
        ids = sorted(
            await session.scalars(select(PostRow.id).where(PostRow.channel_id == channel_id))
        )
        late = await session.get(PostRow, ids[1])
        await session.delete(late)  # its transaction has not committed yet
        await uow.commit()
    assert (await watches.run(harness.bot))["posts"] == 2
    async with harness.container.uow_factory() as uow:
        uow.session.add(
            PostRow(
                id=ids[1], channel_id=channel_id, message_id=2, date=utcnow(), text="Нефть дешевеет"
            )
        )
        await uow.commit()
    found = await watches.run(harness.bot)
    assert found["hits"] == 1 and found["sent"] == 1
    assert (await watches.run(harness.bot))["posts"] == 0
    [hit] = hits(harness.api, USER)
    assert "<b>Нефть</b> дешевеет" in hit["text"]
