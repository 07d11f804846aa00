"""The Prometheus metrics module: Telegram 429s counted, figures recorded through the port."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from adapters.metrics import MetricsServer, PrometheusMetrics
from bot.middlewares.rate_limit_counter import RateLimitCounter
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import make_settings


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


async def _scrape_times(server: MetricsServer, times: int, *, concurrently: bool = False) -> None:
    url = f"http://127.0.0.1:{server.port}/metrics"
    async with aiohttp.ClientSession() as http:

        async def one() -> None:
            async with http.get(url) as response:
                assert response.status == 200
                assert b"tgassist_questions_total" in await response.read()

        if concurrently:
            await asyncio.gather(*(one() for _ in range(times)))
        else:
            for _ in range(times):
                await one()


async def test_metrics_scrapes_reuse_the_per_tenant_report_for_the_cache_interval() -> None:
    """/metrics rebuilt the per-tenant report on every scrape: now once per cache interval, even for concurrent scrapes."""
    metrics = PrometheusMetrics()
    refreshes: list[float] = []

    async def slow_report() -> None:
        refreshes.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.05)  # a database read

    metrics.add_refresher(slow_report)
    cached = MetricsServer(metrics, port=0, cache_seconds=60)
    await cached.start()
    try:
        await _scrape_times(cached, 5)
        await _scrape_times(cached, 8, concurrently=True)
        assert len(refreshes) == 1
        metrics.question("ok", 0.1)  # counters stay live while the report is cached
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{cached.port}/metrics"
            async with http.get(url) as response:
                assert 'tgassist_questions_total{status="ok"} 1.0' in await response.text()
    finally:
        await cached.stop()
    uncached = MetricsServer(metrics, port=0, cache_seconds=0)
    await uncached.start()
    try:
        await _scrape_times(uncached, 3)
    finally:
        await uncached.stop()
    assert len(refreshes) == 4


def test_metrics_listen_on_localhost_unless_told_otherwise(tmp_path: Path) -> None:
    """/metrics bound 0.0.0.0 without auth: the default address is now 127.0.0.1 (METRICS_HOST changes it)."""
    assert make_settings(tmp_path).metrics_host == "127.0.0.1"
    assert make_settings(tmp_path, metrics_host="0.0.0.0").metrics_host == "0.0.0.0"
    assert inspect.signature(MetricsServer).parameters["host"].default == "127.0.0.1"
