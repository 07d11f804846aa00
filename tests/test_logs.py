"""Logs are key-value events and never carry secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from app.logs import configure_logging

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
