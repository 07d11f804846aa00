"""Channels the bot administers: visibility changes and unfollowed posts, through the Dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import PostRow
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, eventually, make_settings

CHANNEL = -1001555000111
OUTSIDER, MEMBER = 1001, 2002


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as running:
        yield running


async def _stored_posts(harness: BotHarness) -> int:
    async with harness.container.uow_factory() as uow:
        count = await uow.session.scalar(select(func.count(PostRow.id)))
    return int(count or 0)


async def _known(harness: BotHarness) -> bool:
    async with harness.container.uow_factory() as uow:
        return await uow.channels.by_telegram_id(CHANNEL) is not None


async def _points(harness: BotHarness, chat_id: int) -> int:
    await harness.settle()
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
    assert tenant is not None
    stats = await harness.container.index.stats(tenant.id)
    return stats.points_count if stats else 0


async def test_a_channel_that_makes_the_bot_an_admin_gets_its_posts_stored_with_no_subscriber(
    harness: BotHarness,
) -> None:
    """Posts of a channel nobody follows are not stored (the channel is only recorded); once a
    chat follows it, its next posts are."""
    api = harness.api
    for number in range(3):
        api.add_update(api.channel_post(f"Пост {number}", chat_id=CHANNEL, username="adminchan"))
    await eventually(lambda: _known(harness))
    await harness.send("/help")  # the three channel posts were handled before this reply
    assert await _stored_posts(harness) == 0
    [reply] = await harness.send("/subscribe @adminchan")
    assert "Subscribed" in reply
    api.add_update(api.channel_post("Пост для подписчиков", chat_id=CHANNEL, username="adminchan"))
    await eventually(lambda: _points(harness, OUTSIDER))
    assert await _stored_posts(harness) == 1


async def test_a_channel_that_goes_private_stays_readable_by_outsiders(
    harness: BotHarness,
) -> None:
    """A public channel that removes its username keeps reaching only chats whose subscriber is
    a member: the outsider's chat is unsubscribed and its index loses the channel."""
    api = harness.api
    api.set_member_status(CHANNEL, MEMBER, "member")
    api.set_member_status(CHANNEL, OUTSIDER, "left")
    api.add_update(api.channel_post("Канал открыт", chat_id=CHANNEL, username="openchan"))
    await eventually(lambda: _known(harness))
    [outsider] = await harness.send("/subscribe @openchan")
    [member] = await harness.send("/subscribe @openchan", chat_id=MEMBER, user_id=MEMBER)
    assert "Subscribed" in outsider and "Subscribed" in member
    api.add_update(
        api.channel_post("Публичная новость о погоде", chat_id=CHANNEL, username="openchan")
    )
    await eventually(lambda: _points(harness, OUTSIDER))

    # The channel removes its username: its updates come without one from now on.
    api.add_chat(CHANNEL, "channel", title="Open channel")
    api.add_update(api.channel_post("Секретное решение о бюджете", chat_id=CHANNEL))

    async def member_has_both() -> bool:
        return await _points(harness, MEMBER) == 2

    await eventually(member_has_both)
    assert await _points(harness, OUTSIDER) == 0
    [listing] = await harness.send("/channels")
    assert "openchan" not in listing
    async with harness.container.uow_factory() as uow:
        outsider_tenant = await uow.tenants.by_chat_id(OUTSIDER)
        channel = await uow.channels.by_telegram_id(CHANNEL)
    assert outsider_tenant is not None and channel is not None and channel.username is None
    hits = await harness.container.index.search(outsider_tenant.id, "секретное решение бюджет")
    assert hits == []
    [again] = await harness.send(f"/subscribe {CHANNEL}")  # by id: members only now
    assert "can't read" in again
