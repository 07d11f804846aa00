"""Faults while answering questions, through the real Dispatcher: Telegram, Qdrant and LLM failures.

Telegram: the fake Bot API answers 429/5xx or drops the connection; the reply is retried and
arrives exactly once. Qdrant: the server adapter points at a closed port. LLM: the fake
OpenAI server rate-limits, fails, stalls or is not there at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage

import bot.middlewares.retry
import bot.routers.errors
import core.rag.service
from bot.app import create_bot
from bot.middlewares.retry import RetryRequests, UpdateScope
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.fixtures import make_bot
from tests.fakes.llm_api import FakeOpenAI
from tests.harness import BotHarness, make_settings
from tests.rag_support import NEWS, captured_logs, events, seed_channel
from tests.services import free_port

USER = 1001
QUESTION = "Какая ключевая ставка?"
FIRST_SOURCE = '<a href="https://t.me/newsroom/1">[1]</a>'


async def indexed_harness(harness: BotHarness) -> int:
    """Seed chat USER with NEWS and index it; returns the tenant id."""
    tenant_id, _ = await seed_channel(harness.container.uow_factory, USER, NEWS)
    await harness.container.indexer.index_tenant(tenant_id)
    return tenant_id


def answers_to(bot_api: FakeBotAPI, chat_id: int = USER) -> list[Any]:
    """Every sendMessage attempt to a chat (failed ones too), in order."""
    return [call for call in bot_api.calls("sendMessage") if call.chat_id == chat_id]


# --- Telegram fails while the answer is sent -----------------------------------------------


async def test_flood_control_on_the_answer_waits_retry_after_then_delivers_once(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """A 429 on the answer: the bot waits the retry_after Telegram gave and sends it once."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as harness:
        await indexed_harness(harness)
        bot_api.fail_next("sendMessage", 429, retry_after=1)
        with captured_logs(bot.middlewares.retry) as logs:
            [reply] = await harness.send(QUESTION)
    assert FIRST_SOURCE in reply
    attempts = answers_to(bot_api)
    assert [call.status for call in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.95  # retry_after honoured
    assert len(bot_api.sent_messages(USER)) == 1
    [retry] = events(logs, "telegram_request_retried")
    assert (retry["method"], retry["delay"], retry["reason"]) == (
        "sendMessage",
        1.0,
        "flood control",
    )


@pytest.mark.parametrize(
    ("fault", "statuses"),
    [
        ("500", [500, 200]),
        ("502x2", [502, 502, 200]),
        ("drop", [0, 200]),
        ("drop+500", [0, 500, 200]),
    ],
)
async def test_server_errors_and_lost_connections_are_retried_and_the_answer_arrives_once(
    tmp_path: Path, bot_api: FakeBotAPI, fault: str, statuses: list[int]
) -> None:
    """5xx answers and dropped connections on sendMessage: retried with backoff, delivered once."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as harness:
        await indexed_harness(harness)
        if fault == "500":
            bot_api.fail_next("sendMessage", 500)
        elif fault == "502x2":
            bot_api.fail_next("sendMessage", 502, times=2)
        elif fault == "drop":
            bot_api.drop_next("sendMessage")
        else:
            bot_api.drop_next("sendMessage")
            bot_api.fail_next("sendMessage", 500)
        [reply] = await harness.send(QUESTION)
        [again] = await harness.send(QUESTION)  # the bot is fine afterwards
    assert FIRST_SOURCE in reply
    assert again == reply
    assert [call.status for call in answers_to(bot_api)] == [*statuses, 200]
    assert len(bot_api.sent_messages(USER)) == 2


async def test_failing_typing_indicator_does_not_hold_up_or_lose_the_answer(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """sendChatAction failing with 500 is not retried; the answer still arrives once."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as harness:
        await indexed_harness(harness)
        bot_api.fail_next("sendChatAction", 500)
        [reply] = await harness.send(QUESTION)
    assert FIRST_SOURCE in reply
    assert [call.status for call in bot_api.calls("sendChatAction")][:1] == [500]
    assert [call.status for call in answers_to(bot_api)] == [200]


async def test_flood_wait_longer_than_the_bound_gives_up_and_apologises(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """A 429 asking for a minute is not waited out: the traceback is logged, the user gets the
    short apology (sent once), and nothing is sent twice."""
    async with BotHarness(make_settings(tmp_path, bot_api), bot_api) as harness:
        await indexed_harness(harness)
        bot_api.fail_next("sendMessage", 429, retry_after=60)
        with captured_logs(bot.routers.errors) as logs:
            [apology] = await harness.send(QUESTION)
    assert apology.startswith("😔")
    assert [call.status for call in answers_to(bot_api)] == [429, 200]
    [failure] = events(logs, "update_failed")
    assert failure["error_type"] == "TelegramRetryAfter"
    assert isinstance(failure["exc_info"], TelegramRetryAfter)


async def test_retries_are_bounded(bot_api: FakeBotAPI) -> None:
    """Telegram failing every time: `attempts` tries, backoff doubling, then the error surfaces."""
    delays: list[float] = []

    async def no_wait(seconds: float) -> None:
        delays.append(seconds)

    bot = make_bot(bot_api)
    bot.session.middleware(RetryRequests(attempts=4, base_delay=0.5, max_delay=1.5, sleep=no_wait))
    bot_api.fail_next("sendMessage", 503, times=10)

    async def handler(event: Any, data: dict[str, Any]) -> Any:
        return await bot(SendMessage(chat_id=USER, text="hi"))

    try:
        with pytest.raises(TelegramServerError):
            await UpdateScope()(handler, None, {})  # type: ignore[arg-type]
    finally:
        await bot.session.close()
    assert len(answers_to(bot_api)) == 4
    assert delays == [0.5, 1.0, 1.5]


async def test_requests_outside_update_handling_are_not_retried(bot_api: FakeBotAPI) -> None:
    """Jobs and the alert broadcaster see Telegram's errors at once (they handle 429 themselves)."""
    bot = create_bot(f"{bot_api.bot_user['id']}:TEST-token", bot_api.base_url)
    bot_api.fail_next("sendMessage", 429, retry_after=1)
    bot_api.fail_next("sendMessage", 500)
    try:
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(USER, "alert")
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "alert")
        await bot.send_message(USER, "alert")
    finally:
        await bot.session.close()
    assert [call.status for call in answers_to(bot_api)] == [429, 500, 200]


# --- the Qdrant server cannot be reached -------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")
async def test_unreachable_qdrant_server_gives_a_short_apology_and_logs_the_traceback(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """QDRANT_URL on a closed port: the fail-open check warns and goes on, the failing query
    gives the user a short apology, the traceback goes to the log, the question is recorded."""
    settings = make_settings(tmp_path, bot_api, qdrant_url=f"http://127.0.0.1:{free_port()}")
    async with BotHarness(settings, bot_api) as harness:
        tenant_id, _ = await seed_channel(harness.container.uow_factory, USER, NEWS)
        with captured_logs(core.rag.service) as logs:
            [reply] = await harness.send(QUESTION)
        async with harness.container.uow_factory() as uow:
            pending = await uow.posts.pending_count(tenant_id)
    assert reply.startswith("😔 Sorry, I couldn't search the posts")
    assert len(reply) < 300
    assert "Qdrant" not in reply and "127.0.0.1" not in reply
    [check] = events(logs, "index_check_failed")
    assert check["log_level"] == "warning"
    assert "cannot be reached" in check["error"]
    [failure] = events(logs, "question_search_failed")
    assert failure["log_level"] == "error" and failure["exc_info"] is True
    [answered] = events(logs, "question_answered")
    assert answered["status"] == "error"
    assert pending == len(NEWS)  # nothing was marked indexed


# --- the LLM misbehaves ------------------------------------------------------------------------


def llm_settings(tmp_path: Path, bot_api: FakeBotAPI, base_url: str, **extra: Any) -> Any:
    """Harness settings with the chat model at `base_url`."""
    return make_settings(
        tmp_path,
        bot_api,
        openai_base_url=base_url,
        openai_api_key="sk-test",
        llm_model="fake-chat",
        **extra,
    )


async def test_llm_rate_limit_and_server_error_are_retried_and_the_model_answers(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """A 429 then a 503 from the model: retried with backoff, the user gets the model's answer."""
    fake_llm.reply_with("Ставку повысили до 21% [1].")
    fake_llm.fail_next(429, retry_after=0.01)
    fake_llm.fail_next(503)
    settings = llm_settings(tmp_path, bot_api, fake_llm.base_url, llm_max_retries=2)
    async with BotHarness(settings, bot_api) as harness:
        await indexed_harness(harness)
        [reply] = await harness.send(QUESTION)
    assert [request.status for request in fake_llm.requests] == [429, 503, 200]
    assert reply.startswith(f"Ставку повысили до 21% {FIRST_SOURCE}.")
    assert "did not respond" not in reply


@pytest.mark.parametrize("fault", ["timeout", "unreachable", "always_429"])
async def test_llm_that_times_out_or_is_gone_gives_the_extractive_answer_and_says_so(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI, fault: str
) -> None:
    """Model too slow on every attempt, not listening, or rate-limited throughout: after the
    retries the user gets the extractive answer with its sources and a notice."""
    base_url = fake_llm.base_url
    extra: dict[str, Any] = {"llm_max_retries": 1}
    if fault == "timeout":
        fake_llm.delay(2.0)
        extra["llm_timeout_seconds"] = 0.2
    elif fault == "unreachable":
        base_url = f"http://127.0.0.1:{free_port()}/v1"
    else:
        fake_llm.always_fail(429)
    async with BotHarness(llm_settings(tmp_path, bot_api, base_url, **extra), bot_api) as harness:
        await indexed_harness(harness)
        [reply] = await harness.send(QUESTION)
    assert reply.startswith("⚠️ The AI model did not respond")
    assert f"{FIRST_SOURCE} Центробанк повысил ключевую ставку" in reply
    expected_requests = 0 if fault == "unreachable" else 2  # one try and one retry
    assert len(fake_llm.chat_requests) == expected_requests
