"""/interests through the real Dispatcher and the fake Bot API: list, add, remove, buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobs.registry import build_jobs
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.interest_support import ask
from tests.quota_support import make_tenants

USER = 1001


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot; the user asked two questions and the sync job ran."""
    settings = make_settings(tmp_path, bot_api)
    async with BotHarness(settings, bot_api) as running:
        [tenant] = await make_tenants(running.container.uow_factory, USER)
        await ask(running.container.uow_factory, tenant, USER, "Что с инфляцией и ставкой ЦБ?")
        await ask(running.container.uow_factory, tenant, USER, "Инфляция в марте")
        yield running


async def test_interests_from_questions_add_and_remove(harness: BotHarness) -> None:
    """The sync job's profile is listed with weights; add and remove change it, per user."""
    [empty] = await harness.send("/interests")
    assert "no interests yet" in empty
    result = await build_jobs(harness.container)["interests-sync"].run(None)
    assert result["synced"] == 1 and result["failed"] == 0

    [listing] = await harness.send("/interests")
    lines = listing.split("\n")
    assert lines[1].startswith("🔍 инфляцией — 2.00") or lines[1].startswith("🔍 инфляция — 2.00")
    assert "🔍 ЦБ — 1.50" in listing

    [added] = await harness.send("/interests add Machine Learning")
    assert "Added to your interests: <b>Machine Learning</b>" in added
    [again] = await harness.send("/interests add machine learning")
    assert "already one of your interests" in again
    [listing] = await harness.send("/interests")
    assert listing.split("\n")[1] == "✋ Machine Learning — 3.00"  # explicit first

    [removed] = await harness.send("/interests remove ЦБ")
    assert "Removed from your interests: <b>ЦБ</b>" in removed
    [unknown] = await harness.send("/interests remove погода")
    assert "not among your interests" in unknown
    [bad] = await harness.send("/interests add и или")
    assert "can't be a topic" in bad
    [usage] = await harness.send("/interests frobnicate")
    assert "/interests add topic" in usage

    [other] = await harness.send("/interests", chat_id=2002, user_id=2002)
    assert "no interests yet" in other  # interests are per user


async def test_remove_button_redraws_the_list(harness: BotHarness) -> None:
    """A remove button drops that topic from the presser's profile and redraws the list."""
    await harness.container.interests.sync.run()
    await harness.send("/interests add Python")
    [listing] = await harness.send("/interests")
    assert "✋ Python — 3.00" in listing
    keyboard = harness.api.sent_messages(USER)[-1]["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["text"] == "✖ Python"
    calls = await harness.press(keyboard[0][0]["callback_data"])
    answer = next(call for call in calls if call["method"] == "answerCallbackQuery")
    assert answer["text"] == "🗑 Removed from your interests: Python."
    [edit] = await harness.api.wait_for("editMessageText", chat_id=USER)
    assert "Python" not in edit.params["text"] and "ЦБ" in edit.params["text"]
    [russian] = await harness.send("/interests", language_code="ru")
    assert "Ваши интересы" in russian
