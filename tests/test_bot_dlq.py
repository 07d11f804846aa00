"""/dlq through the real Dispatcher and the fake Bot API: refusals, list, pages, show, retry, purge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.interests.service import INTERESTS_DLQ_STREAM
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import TEST_TOKEN_SECRET, BotHarness, make_settings
from tests.interest_support import FailingProfiler, ask
from tests.quota_support import make_tenants

ADMIN = 4242
STRANGER = 77
GROUP = -1009876543210
REFUSAL = "⛔ This command is not available."
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with one admin; users 1..7 asked questions and the sync of 1..6 failed."""
    settings = make_settings(tmp_path, bot_api, admin_ids=frozenset({ADMIN}))
    async with BotHarness(settings, bot_api) as running:
        uow_factory = running.container.uow_factory
        [tenant] = await make_tenants(uow_factory, GROUP)
        for user in range(1, 8):
            await ask(uow_factory, tenant, user, f"инфляция и ставка ЦБ {user}")
        sync = running.container.interests.sync
        token = settings.bot_token.get_secret_value()
        sync.profiler = FailingProfiler(
            set(range(1, 7)),
            message="POST https://api.example/bot"
            + token
            + "/x failed for user {user}: "
            + "z" * 900,
        )
        report = await sync.run()
        assert (report.failed, report.synced) == (6, 1)
        yield running


def _keyboard(harness: BotHarness, chat_id: int) -> list[list[dict[str, Any]]]:
    markup = harness.api.sent_messages(chat_id)[-1].get("reply_markup") or {}
    return list(markup.get("inline_keyboard", []))


def _button(keyboard: list[list[dict[str, Any]]], text: str) -> str:
    return next(b["callback_data"] for row in keyboard for b in row if text in b["text"])


async def _entry_ids(harness: BotHarness) -> list[str]:
    page = await harness.container.dlq.page(INTERESTS_DLQ_STREAM, limit=100)
    return [entry.id for entry in page.entries]


async def test_non_admins_are_refused_and_their_buttons_do_nothing(harness: BotHarness) -> None:
    """Anyone else gets the same short refusal for every form, in any chat; buttons are inert."""
    for text, chat_id, chat_type in (
        ("/dlq", STRANGER, "private"),
        (f"/dlq {INTERESTS_DLQ_STREAM}", STRANGER, "private"),
        ("/dlq retry all user_interests.sync", STRANGER, "private"),
        ("/dlq purge user_interests.sync", GROUP, "supergroup"),
    ):
        [reply] = await harness.send(text, chat_id=chat_id, user_id=STRANGER, chat_type=chat_type)
        assert reply == REFUSAL
    [russian] = await harness.send("/dlq", chat_id=78, user_id=78, language_code="ru")
    assert russian == "⛔ Эта команда недоступна."

    calls = await harness.press("dlqa:purge_yes:user_interests.sync", user_id=STRANGER)
    answer = next(call for call in calls if call["method"] == "answerCallbackQuery")
    assert answer["text"] == REFUSAL
    assert len(await _entry_ids(harness)) == 6  # nothing purged


async def test_admin_lists_streams_and_pages_entries(harness: BotHarness) -> None:
    """`/dlq` lists streams with lengths; a stream shows 5 newest entries, buttons page on."""
    [overview] = await harness.send("/dlq", chat_id=ADMIN, user_id=ADMIN)
    assert f"<code>{INTERESTS_DLQ_STREAM}</code> — 6" in overview
    assert "<code>stream:vision.failed</code> — 0" in overview  # retryable, empty
    open_button = _button(_keyboard(harness, ADMIN), "user_interests.sync (6)")

    ids = await _entry_ids(harness)
    [page] = await harness.send("/dlq user_interests.sync", chat_id=ADMIN, user_id=ADMIN)
    assert "entries 1–5 of 6" in page
    assert all(entry_id in page for entry_id in ids[:5]) and ids[5] not in page
    assert "user 6, tenant" in page  # newest first
    assert "RuntimeError" in page
    assert TEST_TOKEN_SECRET not in page and "***" in page
    older = _button(_keyboard(harness, ADMIN), "Older")

    await harness.press(older, chat_id=ADMIN, user_id=ADMIN)
    [edit] = await harness.api.wait_for("editMessageText", chat_id=ADMIN)
    assert "entries 6–6 of 6" in edit.params["text"] and ids[5] in edit.params["text"]

    await harness.press(open_button, chat_id=ADMIN, user_id=ADMIN)
    edits = await harness.api.wait_for("editMessageText", chat_id=ADMIN, count=2)
    assert "entries 1–5 of 6" in edits[-1].params["text"]


async def test_admin_shows_one_entry_truncated_and_redacted(harness: BotHarness) -> None:
    """`/dlq show ID` shows every field; the error is cut short and never holds the token."""
    entry_id = (await _entry_ids(harness))[0]
    [shown] = await harness.send(f"/dlq show {entry_id}", chat_id=ADMIN, user_id=ADMIN)
    for field in ("user_id", "tenant_id", "error_type", "interests", "attempts", "at"):
        assert f"<b>{field}</b>:" in shown
    assert "<b>error_type</b>: RuntimeError" in shown
    assert TEST_TOKEN_SECRET not in shown
    assert "bot***" in shown
    assert "z" * 300 not in shown and "…" in shown
    [missing] = await harness.send("/dlq show 999-0", chat_id=ADMIN, user_id=ADMIN)
    assert "No entry" in missing
    [stored] = (await harness.container.dlq.page(INTERESTS_DLQ_STREAM, limit=1)).entries
    assert TEST_TOKEN_SECRET not in str(stored.fields)  # masked before it was stored


async def test_retry_failure_keeps_the_entry_and_success_removes_it(harness: BotHarness) -> None:
    """A failing retry keeps the entry with attempts 2; once the sync works, retry removes it."""
    entry_id = (await _entry_ids(harness))[0]
    [failed] = await harness.send(f"/dlq retry {entry_id}", chat_id=ADMIN, user_id=ADMIN)
    assert "failed again (attempts: 2)" in failed
    assert TEST_TOKEN_SECRET not in failed
    entry = await harness.container.dlq.show(entry_id)
    assert entry is not None and entry.attempts == 2

    harness.container.interests.sync.profiler.failing.discard(6)  # type: ignore[attr-defined]
    [worked] = await harness.send(f"/dlq retry {entry_id}", chat_id=ADMIN, user_id=ADMIN)
    assert "it worked, the entry is removed" in worked
    assert await harness.container.dlq.show(entry_id) is None
    async with harness.container.uow_factory() as uow:
        profile = await harness.container.interests.service.profile(uow, 6)
    assert {"инфляц", "цб"} <= {item.topic for item in profile}


async def test_retry_all_and_purge_with_confirmation(harness: BotHarness) -> None:
    """`retry all` re-runs every entry; `purge` asks first and deletes only after Yes."""
    harness.container.interests.sync.profiler.failing.difference_update({1, 2, 3})  # type: ignore[attr-defined]
    [report] = await harness.send(
        "/dlq retry all user_interests.sync", chat_id=ADMIN, user_id=ADMIN
    )
    assert "6 retried, 3 worked and were removed, 3 failed again" in report
    assert len(await _entry_ids(harness)) == 3

    [prompt] = await harness.send(
        f"/dlq purge {INTERESTS_DLQ_STREAM}", chat_id=ADMIN, user_id=ADMIN
    )
    assert "Delete all 3 entries" in prompt
    keyboard = _keyboard(harness, ADMIN)
    await harness.press(_button(keyboard, "Cancel"), chat_id=ADMIN, user_id=ADMIN)
    await harness.api.wait_for("editMessageText", chat_id=ADMIN)
    assert len(await _entry_ids(harness)) == 3

    await harness.press(_button(keyboard, "Yes, purge"), chat_id=ADMIN, user_id=ADMIN)
    edits = await harness.api.wait_for("editMessageText", chat_id=ADMIN, count=2)
    assert "3 entries deleted" in edits[-1].params["text"]
    assert await _entry_ids(harness) == []
    [empty] = await harness.send("/dlq", chat_id=ADMIN, user_id=ADMIN)
    assert "empty" in empty
    [usage] = await harness.send("/dlq show", chat_id=ADMIN, user_id=ADMIN)
    assert "/dlq retry all STREAM" in usage
    [bad] = await harness.send("/dlq purge Bad/Name", chat_id=ADMIN, user_id=ADMIN)
    assert "not a stream name" in bad
