"""/quota through the real Dispatcher and the fake Bot API: admin table and details, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.views.quota import quota_detail
from core.models import PostDraft
from core.quotas.models import QuotaOverride, TokenUsage
from core.quotas.report import TenantQuotaReport
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.quota_support import make_channel_with_posts, make_tenants

ADMIN = 4242
BUSY_CHAT = -1009876543210


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with one admin, and a group chat that used its whole token budget."""
    settings = make_settings(tmp_path, bot_api, admin_ids=frozenset({ADMIN}))
    async with BotHarness(settings, bot_api) as running:
        uow_factory = running.container.uow_factory
        [busy] = await make_tenants(uow_factory, BUSY_CHAT)
        drafts = [
            PostDraft(message_id=n, date=datetime(2026, 3, 1, tzinfo=UTC), text=f"news {n}")
            for n in range(1, 6)
        ]
        await make_channel_with_posts(uow_factory, [busy], "wire", drafts)
        await running.container.indexer.index_tenant(busy)
        gate = running.container.budget_gate
        await gate.set_override(busy, QuotaOverride(daily_tokens=1000))
        await (await gate.reserve(busy, 1000)).commit(1000)
        await running.container.storage_usage.run()
        yield running


async def test_admin_sees_every_chat_with_a_marker_on_limits(harness: BotHarness) -> None:
    """The admin's /quota is a table of all chats; the one over its budget is marked."""
    [reply] = await harness.send("/quota", chat_id=ADMIN, user_id=ADMIN)
    assert "<pre>" in reply
    lines = reply.split("\n")
    busy_line = next(line for line in lines if str(BUSY_CHAT) in line)
    assert busy_line.lstrip("<pre>").startswith("⚠")
    assert "1k/1k" in busy_line  # tokens today against the overridden budget
    assert "1/50" in busy_line  # channels against the default limit
    admin_line = next(line for line in lines if f" {ADMIN} " in line)
    assert not admin_line.startswith("⚠")
    assert "chats" in lines[0] or "chat(s)" in lines[0]


async def test_admin_details_for_one_chat(harness: BotHarness) -> None:
    """`/quota CHAT_ID` shows every limit of that chat, storage by type and what is reached."""
    [reply] = await harness.send(f"/quota {BUSY_CHAT}", chat_id=ADMIN, user_id=ADMIN)
    assert str(BUSY_CHAT) in reply
    assert "LLM today: 1,000 tokens of 1,000" in reply
    assert "Channels: 1 channel of 50" in reply
    assert "Stored: 5 posts · 5 vectors in the index" in reply
    assert "• posts:" in reply
    assert "• search index:" in reply
    assert "At or over: daily LLM tokens" in reply
    assert "daily_tokens" not in reply  # the limit's name, not the core's identifier
    [unknown] = await harness.send("/quota 123456789", chat_id=ADMIN, user_id=ADMIN)
    assert "never met" in unknown
    [usage] = await harness.send("/quota everyone", chat_id=ADMIN, user_id=ADMIN)
    assert "/quota CHAT_ID" in usage


async def test_non_admins_get_a_refusal_that_reveals_nothing(harness: BotHarness) -> None:
    """Anyone else is refused with the same short text, with or without arguments, in any chat."""
    for text, chat_id, chat_type in (
        ("/quota", 77, "private"),
        (f"/quota {BUSY_CHAT}", 77, "private"),
        ("/quota", -100555, "supergroup"),
    ):
        [reply] = await harness.send(text, chat_id=chat_id, user_id=77, chat_type=chat_type)
        assert reply == "⛔ This command is not available."
    [russian] = await harness.send("/quota", chat_id=78, user_id=78, language_code="ru")
    assert russian == "⛔ Эта команда недоступна."


async def test_quota_reads_naturally_in_russian(harness: BotHarness) -> None:
    """In Russian the table, the header and one chat's details use column names and counted
    nouns in Russian (1 канал, 5 постов, 1 000 токенов), with no English identifiers."""
    [table] = await harness.send("/quota", chat_id=ADMIN, user_id=ADMIN, language_code="ru")
    header = table.split("\n")[0]
    assert "Квоты: 2 чата" in header
    columns = table.split("\n")[1].removeprefix("<pre>").split()
    assert columns[:3] == ["чат", "каналы", "посты"] and columns[-1] == "название"
    [detail] = await harness.send(
        f"/quota {BUSY_CHAT}", chat_id=ADMIN, user_id=ADMIN, language_code="ru"
    )
    for line in (
        "Каналы: 1 канал из 50",
        "Сохранено: 5 постов · 5 векторов в индексе",
        "LLM сегодня: 1,000 токенов из 1,000",
        "Вопросы сегодня: 0 вопросов из ",
        "• посты:",
        "• поисковый индекс:",
        "Достигнуто: дневные токены LLM",
    ):
        assert line in detail, line
    for english in ("daily_tokens", "Posts", "vectors", "tokens", "Storage", "index:"):
        assert english not in detail, english


@pytest.mark.parametrize(
    ("count", "forms"),
    [(1, ("1 канал", "1 пост", "1 вопрос")), (3, ("3 канала", "3 поста", "3 вопроса"))],
)
def test_quota_detail_counts_and_unlimited_in_russian(count: int, forms: tuple[str, ...]) -> None:
    """Unlimited limits say so in Russian, reserved tokens are counted, and each count takes
    the noun form its number needs."""
    report = TenantQuotaReport(
        tenant_id=1,
        chat_id=5,
        title="Клуб",
        channels=count,
        channel_limit=0,
        posts=count,
        vectors=None,
        storage={},
        storage_limit=0,
        tokens=TokenUsage(day=date(2026, 3, 1), used=21, reserved=2, limit=0),
        questions_today=count,
        question_limit=0,
        resets_at=datetime(2026, 3, 2, tzinfo=UTC),
    )
    text = quota_detail("ru", report)
    channels, posts, questions = forms
    assert f"Каналы: {channels}, без лимита" in text
    assert f"Сохранено: {posts} · сколько векторов в индексе, неизвестно" in text
    assert "LLM сегодня: 21 токен (ещё 2 в резерве), без лимита" in text
    assert f"Вопросы сегодня: {questions}, без лимита" in text
    assert "Все лимиты соблюдены" in text
