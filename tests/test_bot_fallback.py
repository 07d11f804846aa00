"""Buttons that no feature handles still get an answer, so the user's client stops spinning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as running:
        yield running


@pytest.mark.parametrize("data", ["nonsense", "menu:v0:stale", "unsub:", "ÿ" * 30])
async def test_unknown_or_foreign_button_is_answered(harness: BotHarness, data: str) -> None:
    """An unknown, stale or not-allowed button is answered with a neutral notice and nothing else."""
    await harness.send("/help")  # a message of the bot for the button to sit under
    calls = await harness.press(data)
    [answer] = [call for call in calls if call["method"] == "answerCallbackQuery"]
    assert answer["text"] in {"This button is no longer active.", "Эта кнопка больше не действует."}
    assert [call["method"] for call in calls if call["method"] != "getUpdates"] == [
        "answerCallbackQuery"
    ]
