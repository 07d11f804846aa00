"""Chats that change under the bot: supergroup migration and removal, through the Dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, eventually, make_settings
from tests.integrity_support import group_following_news

OLD_GROUP, SUPERGROUP, ADMIN = -4001, -1004001, 1001


@pytest.fixture
async def harness(
    tmp_path: Path, bot_api: FakeBotAPI, news_tme: FakeTelegramWeb
) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults, reading the fake t.me."""
    settings = make_settings(tmp_path, bot_api, telegram_web_base=news_tme.base_url)
    async with BotHarness(settings, bot_api) as running:
        yield running


def _service_message(api: FakeBotAPI, chat_id: int, chat_type: str, **field: Any) -> dict[str, Any]:
    """A service message as Telegram sends it on migration: no text, one migrate_* field."""
    update = api.message("", chat_id=chat_id, user_id=ADMIN, chat_type=chat_type, **field)
    del update["message"]["text"]
    return update


async def _tenant_id(harness: BotHarness, chat_id: int) -> int | None:
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
    return tenant.id if tenant else None


@pytest.mark.parametrize("first", ["migrate_from_chat_id", "migrate_to_chat_id"])
async def test_group_to_supergroup_migration_strands_the_old_tenants_subscriptions(
    harness: BotHarness, first: str
) -> None:
    """After both migration service messages (in either order) the supergroup is the same
    tenant: its channels, its index and its answers are still there."""
    api = harness.api
    await group_following_news(harness, OLD_GROUP, "group", ADMIN)
    tenant_id = await _tenant_id(harness, OLD_GROUP)
    api.add_chat(SUPERGROUP, "supergroup", title="Team")
    from_new = _service_message(api, SUPERGROUP, "supergroup", migrate_from_chat_id=OLD_GROUP)
    to_new = _service_message(api, OLD_GROUP, "group", migrate_to_chat_id=SUPERGROUP)
    for update in [from_new, to_new] if first == "migrate_from_chat_id" else [to_new, from_new]:
        api.add_update(update)

    async def moved() -> bool:
        return await _tenant_id(harness, SUPERGROUP) == tenant_id

    await eventually(moved)
    await harness.send("/help", chat_id=SUPERGROUP, user_id=ADMIN, chat_type="supergroup")
    assert await _tenant_id(harness, OLD_GROUP) is None  # no stray tenant for the dead group
    [listing] = await harness.send(
        "/channels", chat_id=SUPERGROUP, user_id=ADMIN, chat_type="supergroup"
    )
    assert "Daily News" in listing
    [answer] = await harness.send(
        "/ask бюджет налоги", chat_id=SUPERGROUP, user_id=ADMIN, chat_type="supergroup"
    )
    assert "t.me/dailynews/" in answer


async def test_chats_that_removed_the_bot_keep_their_channels_polled(harness: BotHarness) -> None:
    """A chat that blocks the bot stops its channels from being polled; writing again resumes."""
    api = harness.api
    [subscribed] = await harness.send("/subscribe @dailynews")
    assert "Subscribed" in subscribed
    later = datetime.now(UTC) + timedelta(days=1)

    async def due() -> list[str]:
        async with harness.container.uow_factory() as uow:
            return [c.username or "" for c in await uow.channels.due_for_poll(later, 100)]

    assert await due() == ["dailynews"]
    api.add_update(api.my_chat_member(chat_id=1001, new_status="kicked", old_status="member"))

    async def not_due() -> bool:
        return await due() == []

    await eventually(not_due)
    await harness.send("/start")
    assert await due() == ["dailynews"]
