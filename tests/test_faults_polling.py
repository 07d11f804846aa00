"""The t.me/s preview failing while channels are polled: errors, redirects and garbage back the
channel off and mark it; other channels go on; nothing is lost once the preview is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.container import Container
from core.models import Channel
from tests.fakes.tme import FakeChannel, FakeTelegramWeb, render
from tests.polling_support import hand_clock, polling_container

INTERVAL = timedelta(minutes=10)  # POLL_INTERVAL_MINUTES' default


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me with two channels."""
    async with FakeTelegramWeb() as web:
        web.add_channel("alpha", "Alpha", [f"alpha post {i}" for i in range(1, 4)])
        web.add_channel("beta", "Beta", [f"beta post {i}" for i in range(1, 3)])
        yield web


@pytest.fixture
async def container(
    tmp_path: Path, tme: FakeTelegramWeb, database_url: str
) -> AsyncIterator[Container]:
    """The app's container on SQLite and PostgreSQL, reading the fake t.me, with a hand clock."""
    async with polling_container(tmp_path, tme, database_url) as built:
        yield built


def _break(channel: FakeChannel, fault: str, base_url: str) -> None:
    if fault.startswith("http"):
        channel.status = int(fault[4:])
    elif fault == "redirect_to_main_page":
        channel.private = True  # /s/alpha -> /alpha, as for a channel without a preview
    elif fault == "redirect_off_site":
        channel.redirect_to = "https://phishing.example/s/alpha"
    elif fault == "redirect_loop":
        channel.redirect_to = f"{base_url}/s/alpha?before=99"
    elif fault == "garbage_html":
        channel.body = b"<html><body><div class='x'>\xd0\xbc\xd1\x83\xd1\x81\xd0\xbe\xd1\x80</div>"
    elif fault == "binary_garbage":
        channel.body = bytes(range(256)) * 8
    else:
        raise AssertionError(fault)


def _repair(channel: FakeChannel) -> None:
    channel.status, channel.private, channel.redirect_to, channel.body = 200, False, None, None


async def _channel(container: Container, name: str) -> Channel:
    async with container.uow_factory() as uow:
        channel = await uow.channels.by_username(name)
    assert channel is not None
    return channel


async def _due(container: Container) -> list[int]:
    async with container.uow_factory() as uow:
        due = await uow.channels.due_for_poll(container.poller._clock(), 100)
    return [channel.id for channel in due]


async def _post_count(container: Container, chat_id: int, name: str) -> int:
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
        assert tenant is not None
        followed = await uow.channels.subscribed(tenant.id)
    return next(item.post_count for item in followed if item.channel.username == name)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("http500", "t.me server error (HTTP 500)"),
        ("http503", "t.me server error (HTTP 503)"),
        ("http429", "rate limited by t.me (HTTP 429"),
        ("redirect_to_main_page", "has no public web preview"),
        ("redirect_off_site", "has no public web preview"),
        ("redirect_loop", "too many redirects"),
        ("garbage_html", "not a channel web preview"),
        ("binary_garbage", "not readable text"),
    ],
)
async def test_broken_preview_backs_off_marks_the_channel_and_loses_nothing(
    container: Container, tme: FakeTelegramWeb, fault: str, reason: str
) -> None:
    """Each failure doubles the wait and records the error; other channels go on; once the
    preview is back the posts published meanwhile are read and the error is cleared."""
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(1, "private", None, "en")
        await container.subscriptions.subscribe(uow, tenant, "@alpha", 1)
        await container.subscriptions.subscribe(uow, tenant, "@beta", 1)
    clock = hand_clock(container)
    _break(tme.channels["alpha"], fault, tme.base_url)
    tme.add_post("alpha", "alpha news during the outage")
    tme.add_post("beta", "beta news")

    clock.now += INTERVAL + timedelta(minutes=1)
    results = await container.poller.poll_due()  # never raises
    alpha, beta = await _channel(container, "alpha"), await _channel(container, "beta")
    by_channel = {result.channel_id: result for result in results}
    assert reason in (by_channel[alpha.id].error or "")
    assert by_channel[beta.id].error is None and by_channel[beta.id].new_posts == 1
    assert alpha.poll_errors == 1 and reason in (alpha.last_error or "")
    assert alpha.last_message_id == 3  # not moved past posts it did not read

    # Due again only after twice the interval; still broken, so the wait doubles once more.
    failed_at = clock.now
    clock.now = failed_at + 2 * INTERVAL - timedelta(seconds=1)
    assert alpha.id not in await _due(container)
    clock.now = failed_at + 2 * INTERVAL
    [again] = [r for r in await container.poller.poll_due() if r.channel_id == alpha.id]
    assert again.error is not None
    alpha = await _channel(container, "alpha")
    assert alpha.poll_errors == 2

    _repair(tme.channels["alpha"])
    failed_at = clock.now
    clock.now = failed_at + 4 * INTERVAL - timedelta(seconds=1)
    assert alpha.id not in await _due(container)
    clock.now = failed_at + 4 * INTERVAL
    [recovered] = [r for r in await container.poller.poll_due() if r.channel_id == alpha.id]
    assert recovered.error is None and recovered.new_posts == 1
    alpha = await _channel(container, "alpha")
    assert (alpha.poll_errors, alpha.last_error, alpha.last_message_id) == (0, None, 4)
    assert await _post_count(container, 1, "alpha") == 4
    clock.now += INTERVAL  # back to the normal interval
    assert alpha.id in await _due(container)


async def test_truncated_page_does_not_skip_posts(
    container: Container, tme: FakeTelegramWeb
) -> None:
    """A page cut off mid-way stores what it holds without moving past the posts it lost;
    the next poll reads the rest."""
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(1, "private", None, "en")
        await container.subscriptions.subscribe(uow, tenant, "@alpha", 1)
    clock = hand_clock(container)
    for number in range(4, 10):
        tme.add_post("alpha", f"alpha news {number}")
    channel = tme.channels["alpha"]
    full = render(channel, sorted(channel.posts)).encode()
    cut = full.index(b'data-post="alpha/7"')
    channel.body = full[:cut]  # posts 1-6 survive, 7-9 are cut off
    clock.now += INTERVAL + timedelta(minutes=1)
    [first] = await container.poller.poll_due()
    channel.body = None
    clock.now += 2 * INTERVAL
    [second] = await container.poller.poll_due()
    assert (first.error, first.new_posts, second.error, second.new_posts) == (None, 3, None, 3)
    assert await _post_count(container, 1, "alpha") == 9
    alpha = await _channel(container, "alpha")
    assert alpha.last_message_id == 9
