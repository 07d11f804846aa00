"""Logs are key-value events and never carry secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from app.logs import configure_logging
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.llm_api import FakeOpenAI, OpenAIError
from tests.harness import TEST_TOKEN_SECRET, BotHarness, make_settings
from tests.rag_support import seed_channel

TOKEN = "123456789:AAFakeTokenValueThatIsLongEnough_0123456789"
API_KEY = "sk-test-secret-key-0123456789"


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers[:] = []


def test_secrets_are_redacted_in_events_and_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    """Configured secrets and anything token-shaped are masked, even inside tracebacks."""
    configure_logging(log_format="json", secrets=[TOKEN, API_KEY])
    log = structlog.get_logger("test")
    log.info("request_sent", url=f"https://api.telegram.org/bot{TOKEN}/getMe", key=API_KEY)
    try:
        raise RuntimeError(f"failed calling with {API_KEY}")
    except RuntimeError:
        log.exception("call_failed")
    logging.getLogger("aiogram").warning("stdlib says %s", "bot999999:" + "A" * 35)
    output = capsys.readouterr().err
    assert TOKEN not in output and API_KEY not in output and "A" * 35 not in output
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events][:2] == ["request_sent", "call_failed"]
    assert "***" in events[0]["url"] and "RuntimeError" in events[1]["exception"]


def test_console_format_for_terminals(capsys: pytest.CaptureFixture[str]) -> None:
    """The console renderer is used when asked, still redacting."""
    configure_logging(log_format="console", secrets=[API_KEY])
    structlog.get_logger("test").warning("llm_failed", key=API_KEY)
    output = capsys.readouterr().err
    assert "llm_failed" in output and API_KEY not in output


async def test_failing_updates_leak_neither_token_nor_api_key(
    tmp_path: Path,
    bot_api: FakeBotAPI,
    fake_llm: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Errors carrying BOT_TOKEN and the API key reach neither the logs nor any message sent."""
    settings = make_settings(
        tmp_path,
        bot_api,
        openai_api_key=API_KEY,
        openai_base_url=fake_llm.base_url,
        llm_max_retries=0,
    )
    token = settings.bot_token.get_secret_value()
    configure_logging(log_format="json", level="DEBUG", secrets=settings.secrets())
    leaky = f"POST https://api.telegram.org/bot{token}/sendMessage key={API_KEY} failed"

    def llm_fails(_: dict[str, Any]) -> str:
        raise OpenAIError(401, f"Incorrect API key provided: {API_KEY} (bot {token})")

    fake_llm.set_responder(llm_fails)
    async with BotHarness(settings, bot_api) as harness:
        await seed_channel(harness.container.uow_factory, 1001, ["Ключевая ставка 21%"])
        async with harness.container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(1001)
        assert tenant is not None
        await harness.container.indexer.index_tenant(tenant.id)
        # The LLM refuses with the key in its message: the extractive fallback answers.
        [fallback] = await harness.send("ключевая ставка")
        assert "21%" in fallback
        # A handler fails with both secrets in the exception: the error router apologises.
        service = harness.container.handler_services()["question_service"]

        async def explode(*_: Any, **__: Any) -> Any:
            raise RuntimeError(leaky)

        monkeypatch.setattr(service, "ask", explode)
        [apology] = await harness.send("ключевая ставка")
        assert "Sorry" in apology
        # Telegram errors while polling are logged by aiogram itself.
        bot_api.fail_next("getUpdates", 500, description=f"Internal error for {token}")
        [help_text] = await harness.send("/help")
        assert "/subscribe" in help_text
    output = capsys.readouterr()
    logs = output.err + output.out
    assert "RuntimeError" in logs  # the failure is logged...
    assert token not in logs and API_KEY not in logs  # ...without the secrets
    assert TEST_TOKEN_SECRET not in logs
    events = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    masked = [e["event"] for e in events if "***" in json.dumps(e, ensure_ascii=False)]
    assert {"llm_answer_failed", "update_failed"} <= set(masked)
    assert any(name.startswith("Failed to fetch updates") for name in masked)
    requests = json.dumps([call.params for call in bot_api.calls()], ensure_ascii=False)
    assert API_KEY not in requests and TEST_TOKEN_SECRET not in requests
