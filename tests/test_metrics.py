"""The Prometheus metrics module: Telegram 429s counted, figures recorded through the port."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from adapters.metrics import PrometheusMetrics
from bot.middlewares.rate_limit_counter import RateLimitCounter
from tests.fakes.bot_api import FakeBotAPI


def _value(metrics: PrometheusMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_telegram_429_answers_are_counted(bot: Bot, bot_api: FakeBotAPI) -> None:
    """A request middleware counts each 429 and still lets the caller see the error."""
    metrics = PrometheusMetrics()
    bot.session.middleware(RateLimitCounter(metrics))
    bot_api.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(5, "hello")
    await bot.send_message(5, "hello again")
    assert _value(metrics, "tgassist_telegram_rate_limited_total") == 1.0


def test_port_methods_feed_the_registry() -> None:
    """Every Metrics port method lands in its conventionally named series."""
    metrics = PrometheusMetrics()
    metrics.question("ok", 0.3)
    metrics.question("not_indexed", 0.01)
    metrics.vision_outcome("skipped", "budget")
    metrics.quota_violation(3, "daily_tokens")
    metrics.budget_tokens(3, 1200, 5000)
    metrics.alert_sent()
    metrics.dlq_length("stream:vision.failed", 4)
    metrics.ingestion_lag("wire", 42.0)
    assert _value(metrics, "tgassist_questions_total", status="ok") == 1.0
    assert _value(metrics, "tgassist_question_duration_seconds_count") == 2.0
    assert _value(metrics, "tgassist_question_duration_seconds_bucket", le="0.5") == 2.0
    assert (
        _value(metrics, "tgassist_vision_outcomes_total", outcome="skipped", reason="budget") == 1.0
    )
    assert (
        _value(metrics, "tgassist_quota_violations_total", tenant="3", limit="daily_tokens") == 1.0
    )
    assert _value(metrics, "tgassist_llm_budget_used_tokens", tenant="3") == 1200.0
    assert _value(metrics, "tgassist_llm_budget_limit_tokens", tenant="3") == 5000.0
    assert _value(metrics, "tgassist_alerts_sent_total") == 1.0
    assert _value(metrics, "tgassist_dlq_entries", stream="stream:vision.failed") == 4.0
    assert _value(metrics, "tgassist_ingestion_lag_seconds", channel="wire") == 42.0
