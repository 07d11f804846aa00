"""/alerts why and /alerts here through the real Dispatcher: what the latest trend check left
out and why, and alerts sent to a chosen forum topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.telegram_rules import check_markup
from tests.trend_support import (
    ECLIPSE,
    StoredStream,
    add_posts,
    make_chats,
    quake_stream,
    recent_hour,
    store_stream,
)

USER = 7401


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as running:
        yield running


@pytest.fixture
async def stored(harness: BotHarness) -> StoredStream:
    """The Tbilisi earthquake in five channels, and an eclipse only two channels cover."""
    now = recent_hour() - timedelta(hours=1)
    stored = await store_stream(harness.container.uow_factory, quake_stream(now), now)
    await add_posts(
        harness.container.uow_factory,
        stored,
        [2, 6, 2, 6],
        ECLIPSE[:4],
        start=now - timedelta(hours=2),
    )
    return stored


async def test_why_explains_every_story_that_came_close(
    harness: BotHarness, stored: StoredStream
) -> None:
    """Before a check it says so; after: too few channels, then already sent, then muted."""
    await make_chats(harness.container.uow_factory, stored, [(USER, "private")])
    [never] = await harness.send("/alerts why", chat_id=USER, user_id=USER)
    assert "not been checked" in never

    service = harness.container.trends.service
    await service.refresh(stored.now)
    [first] = await harness.send("/alerts why", chat_id=USER, user_id=USER)
    check_markup(first)
    assert "Trends were last checked" in first and "alerts are <b>on</b>" in first
    assert "in 2 channels, 3 needed" in first and "Камчатк" in first

    await harness.container.trends.broadcaster(harness.bot).deliver_pending()
    await service.refresh(stored.now + timedelta(minutes=15))
    [second] = await harness.send("/alerts why", chat_id=USER, user_id=USER)
    assert "Тбилиси" in second and "already sent here" in second

    await harness.send("/alerts off", chat_id=USER, user_id=USER)
    await service.refresh(stored.now + timedelta(minutes=30))
    [off] = await harness.send("/alerts why", chat_id=USER, user_id=USER)
    assert "alerts are <b>off</b>" in off and "alerts are off in this chat" in off


async def test_why_names_the_threshold_and_the_chats_interests(
    harness: BotHarness, stored: StoredStream
) -> None:
    """A trend below the threshold says so; one the chat's interests lowered says that (ru)."""
    await make_chats(harness.container.uow_factory, stored, [(USER, "private")], language="ru")
    service = harness.container.trends.service
    [trend] = await service.detect_for_chat(USER, stored.now)
    service.policy = replace(service.policy, min_score=trend.score * 0.95)
    ru: dict[str, Any] = {"chat_id": USER, "user_id": USER, "language_code": "ru"}
    await harness.send("/interests add футбол", **ru)  # a profile the quake does not meet
    await service.refresh(stored.now)
    [lowered] = await harness.send("/alerts why", **ru)
    assert "Почему нет оповещения?" in lowered
    assert "интересы чата снизили оценку" in lowered and "Тбилиси" in lowered

    service.policy = replace(service.policy, min_score=trend.score * 3)
    await service.refresh(stored.now + timedelta(minutes=15))
    [below] = await harness.send("/alerts why", **ru)
    assert "пока недостаточно необычно" in below


async def test_alerts_here_sends_alerts_to_the_forum_topic(
    harness: BotHarness, stored: StoredStream
) -> None:
    """/alerts here in a topic: the next alert carries its message_thread_id; members can't."""
    group = -1001999000001
    harness.api.add_chat(group, "supergroup")
    harness.api.set_chat_admins(group, [5001])
    await make_chats(harness.container.uow_factory, stored, [(group, "supergroup")])
    topic: dict[str, Any] = {
        "message_thread_id": 42,
        "is_topic_message": True,
        "chat_type": "supergroup",
    }
    [refused] = await harness.send("/alerts here", chat_id=group, user_id=5002, **topic)
    assert "administrators" in refused
    [chosen] = await harness.send("/alerts here", chat_id=group, user_id=5001, **topic)
    assert "Trend alerts of this chat will come to this topic" in chosen
    await harness.container.trends.service.refresh(stored.now)
    await harness.container.trends.broadcaster(harness.bot).deliver_pending()
    [alert] = [
        m for m in harness.api.sent_messages(group) if "trmute" in str(m.get("reply_markup"))
    ]
    assert alert["message_thread_id"] == 42
