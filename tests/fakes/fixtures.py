"""Pytest fixtures and helpers for the fake Telegram Bot API and the fake OpenAI server.

Registered through ``pytest_plugins`` in tests/conftest.py. Fixtures are function-scoped, so
every test gets fresh servers on new ports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.llm_api import FakeOpenAI
from tests.fakes.tme import FakeTelegramWeb

NEWS = [f"Новость {i}: правительство обсуждает бюджет и налоги" for i in range(1, 11)]


def make_bot(bot_api: FakeBotAPI, *, token: str | None = None, **bot_kwargs: Any) -> Bot:
    """A real aiogram Bot talking to ``bot_api``; the caller closes ``bot.session``.

    The default token's id matches ``bot_api.bot_user["id"]`` so ``bot.id`` agrees with getMe.
    ``bot_kwargs`` go to ``Bot`` (e.g. ``default=DefaultBotProperties(parse_mode="HTML")``).
    """
    session = AiohttpSession(api=TelegramAPIServer.from_base(bot_api.base_url))
    return Bot(token or f"{bot_api.bot_user['id']}:TEST-token", session=session, **bot_kwargs)


@contextlib.asynccontextmanager
async def polling(
    dp: Dispatcher, bot: Bot, *, stop_timeout: float = 5.0, **polling_kwargs: Any
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``dp.start_polling(bot)`` in a task for the ``async with`` body, then stop it.

    Signals are left alone and the bot session stays open (the ``bot`` fixture owns it).
    Stopping is bounded by ``stop_timeout``; an exception from polling is re-raised.
    """
    polling_kwargs = {"handle_signals": False, "close_bot_session": False, **polling_kwargs}
    task = asyncio.create_task(dp.start_polling(bot, **polling_kwargs))
    await asyncio.sleep(0)  # let polling take its lock before the body runs
    try:
        yield task
    finally:
        async with asyncio.timeout(stop_timeout):
            while not task.done():
                try:
                    await dp.stop_polling()
                    break
                except RuntimeError:  # "Polling is not started" yet: startup still running
                    await asyncio.sleep(0.01)
            await task


@pytest_asyncio.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    """A started FakeBotAPI; fails the test if the fake itself crashed while serving."""
    async with FakeBotAPI() as api:
        yield api
    assert not api.internal_errors, f"FakeBotAPI crashed: {api.internal_errors!r}"


@pytest_asyncio.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    """``make_bot(bot_api)``, with its HTTP session closed afterwards."""
    instance = make_bot(bot_api)
    yield instance
    await instance.session.close()


@pytest_asyncio.fixture
async def news_tme() -> AsyncIterator[FakeTelegramWeb]:
    """A started fake t.me with one public channel, @dailynews, of ten posts (NEWS)."""
    async with FakeTelegramWeb() as web:
        web.add_channel("dailynews", "Daily News", NEWS)
        yield web


@pytest_asyncio.fixture
async def fake_llm() -> AsyncIterator[FakeOpenAI]:
    """A started FakeOpenAI; fails the test if the fake or a responder crashed."""
    async with FakeOpenAI() as server:
        yield server
    assert not server.internal_errors, f"FakeOpenAI crashed: {server.internal_errors!r}"


@pytest_asyncio.fixture
async def llm_client(fake_llm: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    """``openai.AsyncOpenAI`` on ``fake_llm`` without SDK retries, so faults surface at once."""
    client = openai.AsyncOpenAI(
        base_url=fake_llm.base_url, api_key="test-key", max_retries=0, timeout=5.0
    )
    yield client
    await client.close()


__all__ = ["bot", "bot_api", "fake_llm", "llm_client", "make_bot", "polling"]
