"""Subscriptions under faults, races and floods, through the real Dispatcher (SQLite and
PostgreSQL where the defect is about the database)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from app.wiring.index import build_index
from core.ports import IndexDocument, PostIndex
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings
from tests.integrity_support import install_failure, remove_failure

NEWS = [f"Новость номер {i}: правительство обсуждает бюджет и выборы" for i in range(1, 31)]
ERROR = "something went wrong"


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me with one busy public channel and sixteen small ones."""
    async with FakeTelegramWeb() as web:
        web.add_channel("dailynews", "Daily News", NEWS)
        for number in range(1, 17):
            web.add_channel(f"chan{number:02d}", f"Channel {number}", [f"пост {number}"] * 5)
        yield web


class GatedIndex:
    """The real index, whose upserts wait at a gate the test opens (to interleave a race)."""

    def __init__(self, inner: PostIndex) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def upsert(
        self,
        tenant_id: int,
        documents: Sequence[IndexDocument],
        vectors: Mapping[int, Sequence[float]] | None = None,
    ) -> None:
        """Signal that indexing is under way, wait for the gate, then upsert for real."""
        self.entered.set()
        await self.gate.wait()
        await self.inner.upsert(tenant_id, documents, vectors)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _settings(tmp_path: Path, api: FakeBotAPI, tme: FakeTelegramWeb, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "telegram_web_base": tme.base_url,
        "backfill_posts": 25,
        "subscribe_rate_limit": 100,
    }
    return make_settings(tmp_path, api, **(values | extra))


async def _points(harness: BotHarness, chat_id: int = 1001) -> int:
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
    assert tenant is not None
    stats = await harness.container.index.stats(tenant.id)
    return stats.points_count if stats else 0


async def _replies(harness: BotHarness, chat_id: int, count: int, timeout: float) -> list[str]:
    await harness.api.wait_for(
        lambda call: call.method == "sendMessage" and call.ok and call.chat_id == chat_id,
        count=count,
        timeout=timeout,
    )
    return [message["text"] for message in harness.api.sent_messages(chat_id)]


async def test_unsubscribe_deletes_index_points_before_the_database_change(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb, database_url: str
) -> None:
    """When the database refuses the unsubscribe, the chat stays subscribed and its channel
    stays searchable after the next indexing run (the index was not emptied first)."""
    settings = _settings(tmp_path, bot_api, tme, database_url=database_url)
    async with BotHarness(settings, bot_api) as harness:
        await harness.send("/subscribe @dailynews")
        await harness.settle()
        assert await _points(harness) == 25
        await install_failure(database_url, "subscriptions", "DELETE")
        [failed] = await harness.send("/unsubscribe @dailynews")
        assert ERROR in failed
        await remove_failure(database_url, "subscriptions", "DELETE")
        await harness.container.indexer.index_all()  # the next indexing run
        [listing] = await harness.send("/channels")
        assert "Daily News" in listing
        assert await _points(harness) == 25
        # Unsubscribing for real now empties the chat's index.
        [done] = await harness.send("/unsubscribe @dailynews")
        assert "Unsubscribed" in done
        assert await _points(harness) == 0


async def test_unsubscribe_during_indexing_leaves_the_channel_in_the_chats_index(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> None:
    """A channel unsubscribed while its posts are being upserted ends with no points in the
    chat's index, and a question finds none of its posts."""
    settings = _settings(tmp_path, bot_api, tme)
    index = GatedIndex(build_index(settings, None))  # lexical, as the harness
    async with BotHarness(settings, bot_api, index=index) as harness:
        [subscribed] = await harness.send("/subscribe @dailynews")
        assert "Subscribed" in subscribed
        await asyncio.wait_for(index.entered.wait(), timeout=10)
        [unsubscribed] = await harness.send("/unsubscribe @dailynews")
        assert "Unsubscribed" in unsubscribed
        index.gate.set()
        await harness.settle()
        assert await _points(harness) == 0
        async with harness.container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(1001)
            assert tenant is not None
            assert await uow.posts.pending_count(tenant.id) == 0
        hits = await index.inner.search(tenant.id, "правительство обсуждает бюджет")
        assert hits == []


async def test_one_user_can_exhaust_the_database_pool_for_everyone(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> None:
    """Sixteen concurrent /subscribe of one user against a slow t.me: another user's /help
    stays fast, and no update fails (no pool TimeoutError)."""
    settings = _settings(
        tmp_path, bot_api, tme, backfill_posts=5, subscribe_rate_limit=5, poll_jitter_seconds=0
    )
    tme.delay = 3.0
    async with BotHarness(settings, bot_api) as harness:
        for number in range(1, 17):
            bot_api.add_update(bot_api.message(f"/subscribe @chan{number:02d}"))
        await asyncio.sleep(1.0)  # every /subscribe is in flight
        started = time.monotonic()
        [help_text] = await harness.send("/help", chat_id=2002, user_id=2002, timeout=30)
        took = time.monotonic() - started
        assert "/subscribe" in help_text
        assert took < 1.5, f"/help took {took:.1f} s while one user subscribed"
        # 5 subscriptions within the rate, one notice for the other 11.
        replies = await _replies(harness, 1001, 6, timeout=60)
        await asyncio.sleep(0.5)
        replies = [m["text"] for m in bot_api.sent_messages(1001)]
        assert not any(ERROR in reply for reply in replies), replies
        assert sum("Subscribed" in reply for reply in replies) == 5, replies
        assert sum("Too many subscription changes" in reply for reply in replies) == 1, replies


async def test_the_channel_limit_is_check_then_insert(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb, database_url: str
) -> None:
    """Eight group admins /subscribe at once with a limit of 3: exactly three are stored."""
    settings = _settings(tmp_path, bot_api, tme, database_url=database_url)
    group = -100777
    bot_api.add_chat(group, "supergroup", title="Team")
    admins = list(range(3001, 3009))
    for admin in admins:
        bot_api.set_member_status(group, admin, "administrator")
    async with BotHarness(settings, bot_api) as harness:
        [empty] = await harness.send("/channels", chat_id=group, user_id=admins[0])
        assert "follows no channels" in empty
        async with harness.container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(group)
        assert tenant is not None
        await harness.container.budget_gate.set_override(tenant.id, _channels(3))
        for number, admin in enumerate(admins, start=1):
            bot_api.add_update(
                bot_api.message(
                    f"/subscribe @chan{number:02d}",
                    chat_id=group,
                    user_id=admin,
                    chat_type="supergroup",
                )
            )
        replies = await _replies(harness, group, 1 + len(admins), timeout=60)
        async with harness.container.uow_factory() as uow:
            stored = await uow.channels.subscription_count(tenant.id)
        assert stored == 3
        assert sum("maximum of 3" in reply for reply in replies) == 5, replies


def _channels(limit: int) -> Any:
    from core.quotas.models import QuotaOverride

    return QuotaOverride(channels=limit)


async def test_subscribe_has_no_rate_limit_and_re_backfills_every_time(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> None:
    """Five subscribe/unsubscribe pairs read the channel from t.me once; a name without a
    preview is fetched once; past the per-user rate the user is told how long to wait."""
    settings = _settings(tmp_path, bot_api, tme, subscribe_rate_limit=12)
    async with BotHarness(settings, bot_api) as harness:
        for _ in range(5):
            [subscribed] = await harness.send("/subscribe @dailynews")
            assert "Subscribed" in subscribed and "Daily News" in subscribed
            [unsubscribed] = await harness.send("/unsubscribe @dailynews")
            assert "Unsubscribed" in unsubscribed
        assert len([r for r in tme.requests if "dailynews" in r]) == 2  # 25 posts: two pages
        for _ in range(2):
            [unknown] = await harness.send("/subscribe @nosuchchannel")
            assert "no public web preview" in unknown
        assert len([r for r in tme.requests if "nosuchchannel" in r]) == 1
        [throttled] = await harness.send("/subscribe @dailynews")
        assert "Too many subscription changes" in throttled and "wait" in throttled
        # A flood past the rate stays quiet: one notice per window.
        bot_api.add_update(bot_api.message("/unsubscribe @dailynews"))
        await harness.send("/help")
        assert not any("Unsubscribed" in m["text"] for m in bot_api.sent_messages(1001)[-2:])
