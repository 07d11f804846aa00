"""Posts of channels where the bot is an administrator, through the real Dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import PostRow
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, eventually, make_settings

CHANNEL = -1001234567890


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults; chat 1001 follows the admin channel."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as running:
        await _follow(running)
        yield running


async def _follow(harness: BotHarness) -> None:
    """The channel's first post makes it known (no chat follows it yet, so it is not stored);
    then chat 1001 subscribes."""
    api = harness.api
    api.add_update(
        api.channel_post("Канал открыт", chat_id=CHANNEL, message_id=1, username="adminchan")
    )

    async def known() -> bool:
        async with harness.container.uow_factory() as uow:
            return await uow.channels.by_telegram_id(CHANNEL) is not None

    await eventually(known)
    [reply] = await harness.send("/subscribe @adminchan")
    assert "Subscribed" in reply


async def _posts(harness: BotHarness) -> list[PostRow]:
    async with harness.container.uow_factory() as uow:
        rows = await uow.session.scalars(select(PostRow).order_by(PostRow.message_id))  # type: ignore[attr-defined,unused-ignore]
        return list(rows)


async def test_channel_posts_are_stored_and_edits_update_them(harness: BotHarness) -> None:
    """A channel_post is stored once; edited_channel_post replaces its text with a new version."""
    api = harness.api
    api.add_update(
        api.channel_post(
            "Первый пост https://example.com/a",
            chat_id=CHANNEL,
            message_id=10,
            username="AdminChan",
            title="Admin channel",
            entities=[{"type": "url", "offset": 12, "length": 21}],
        )
    )
    [post] = await eventually(lambda: _posts(harness))
    assert post.text.startswith("Первый пост") and post.links == ["https://example.com/a"]
    api.add_update(api.edited_channel_post("Исправленный пост", chat_id=CHANNEL, message_id=10))
    edited = await eventually(
        lambda: _with(harness, lambda rows: rows and rows[0].version == 2 and rows)
    )
    assert edited[0].text == "Исправленный пост" and edited[0].edit_date is not None
    assert len(edited) == 1


async def test_album_messages_become_one_post(harness: BotHarness) -> None:
    """Three messages sharing a media_group_id are stored as one post with three photos."""
    api = harness.api
    for number, caption in enumerate(["Фото с выставки", None, None]):
        api.add_update(
            api.channel_post(
                caption,
                chat_id=CHANNEL,
                message_id=20 + number,
                username="adminchan",
                title="Admin channel",
                media_group_id="album-1",
                photo=f"photo{number}",
            )
        )
    rows = await eventually(
        lambda: _with(harness, lambda rows: rows and len(rows[0].media) == 3 and rows)
    )
    assert len(rows) == 1
    assert rows[0].text == "Фото с выставки" and rows[0].grouped_id == "album-1"


async def test_subscribing_to_an_admin_channel_indexes_its_posts(harness: BotHarness) -> None:
    """A chat can /subscribe to a channel the bot administers; its posts reach that chat's index."""
    api = harness.api
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(1001)
    assert tenant is not None
    assert await _posts(harness) == []  # the post before anyone followed is not kept
    api.add_update(api.channel_post("Второй пост", chat_id=CHANNEL, username="adminchan"))

    async def one_point() -> bool:
        await harness.settle()
        stats = await harness.container.index.stats(tenant.id)
        return stats is not None and stats.points_count == 1

    await eventually(one_point)


async def test_poll_venue_and_file_posts_are_searchable(harness: BotHarness) -> None:
    """A poll's options, a venue's name and a file's name are the posts' text, with their kinds."""
    api = harness.api
    poll = {
        "id": "5001",
        "question": "Какой талисман выбрать для значка встречи?",
        "options": [
            {"persistent_id": "1", "text": "Капибара", "voter_count": 0},
            {"persistent_id": "2", "text": "Аксолотль", "voter_count": 0},
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "quiz",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    venue = {
        "location": {"latitude": 22.14, "longitude": 113.56},
        "title": "Mannings Venetian",
        "address": "The Venetian Macao",
    }
    document = {"file_id": "doc-1", "file_unique_id": "u-doc-1", "file_name": "budget-2025.pdf"}
    bodies: list[dict[str, Any]] = [
        {"poll": poll},
        {"venue": venue, "location": venue["location"]},
        {"document": document},
    ]
    for number, extra in enumerate(bodies, start=40):
        api.add_update(
            api.channel_post(
                None, chat_id=CHANNEL, message_id=number, username="adminchan", **extra
            )
        )
    rows = await eventually(lambda: _with(harness, lambda rows: len(rows) == 3 and rows))

    assert [(row.message_id, row.text, [m["kind"] for m in row.media]) for row in rows] == [
        (40, "Какой талисман выбрать для значка встречи?\nКапибара\nАксолотль", ["poll"]),
        (41, "Mannings Venetian\nThe Venetian Macao", ["venue"]),
        (42, "budget-2025.pdf", ["document"]),
    ]
    await harness.settle()  # chat 1001 follows the channel (the fixture subscribed it)
    [answer] = await harness.send("Капибара или аксолотль на значке?")
    assert 'href="https://t.me/adminchan/40"' in answer


async def _with(harness: BotHarness, check):  # type: ignore[no-untyped-def,unused-ignore]
    return check(await _posts(harness))
