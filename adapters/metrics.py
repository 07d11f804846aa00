"""Prometheus metrics (prometheus-client) and the `/metrics` endpoint of `tgassist run`.

Each container gets its own CollectorRegistry, so several containers in one process (tests)
never register a metric twice. Gauges that mirror stored state (storage, budgets, DLQ lengths,
ingestion lag) are refreshed from the database on each scrape, so a fresh process exposes them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

log = structlog.get_logger(__name__)

disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series only double the output

Refresher = Callable[[], Awaitable[None]]

QUESTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)


class PrometheusMetrics:
    """The `core.metrics.Metrics` port on a private registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.storage_bytes = Gauge(
            "tgassist_tenant_storage_bytes",
            "Bytes a tenant stores, by content type",
            ["tenant", "type"],
            registry=r,
        )
        self.storage_objects = Gauge(
            "tgassist_tenant_storage_objects",
            "Objects a tenant stores, by content type",
            ["tenant", "type"],
            registry=r,
        )
        self.quota_violations = Counter(
            "tgassist_quota_violations_total",
            "Requests refused or degraded because a tenant hit a limit",
            ["tenant", "limit"],
            registry=r,
        )
        self.tokens_used = Gauge(
            "tgassist_llm_budget_used_tokens",
            "LLM tokens a tenant used today (UTC)",
            ["tenant"],
            registry=r,
        )
        self.tokens_limit = Gauge(
            "tgassist_llm_budget_limit_tokens",
            "A tenant's daily LLM token budget (0 = unlimited)",
            ["tenant"],
            registry=r,
        )
        self.vision = Counter(
            "tgassist_vision_outcomes_total",
            "Vision outcomes: posts analysed or failed; posts or images skipped, by reason",
            ["outcome", "reason"],
            registry=r,
        )
        self.questions = Counter(
            "tgassist_questions_total", "Questions answered, by status", ["status"], registry=r
        )
        self.question_seconds = Histogram(
            "tgassist_question_duration_seconds",
            "Time to answer a question",
            buckets=QUESTION_BUCKETS,
            registry=r,
        )
        self.alerts = Counter("tgassist_alerts_sent_total", "Trend alerts delivered", registry=r)
        self.rate_limited = Counter(
            "tgassist_telegram_rate_limited_total",
            "Telegram 429 Too Many Requests answers",
            registry=r,
        )
        self.dlq = Gauge(
            "tgassist_dlq_entries", "Entries in a dead-letter stream", ["stream"], registry=r
        )
        self.lag = Gauge(
            "tgassist_ingestion_lag_seconds",
            "How late a channel's newest post was stored after it was published",
            ["channel"],
            registry=r,
        )
        self._refreshers: list[Refresher] = []

    # --- the Metrics port ---------------------------------------------------------------------

    def tenant_storage(self, tenant_id: int, content_type: str, size: int, objects: int) -> None:
        """Set a tenant's stored bytes and objects of one type."""
        self.storage_bytes.labels(str(tenant_id), content_type).set(size)
        self.storage_objects.labels(str(tenant_id), content_type).set(objects)

    def quota_violation(self, tenant_id: int, limit: str) -> None:
        """Count a limit hit."""
        self.quota_violations.labels(str(tenant_id), limit).inc()

    def budget_tokens(self, tenant_id: int, used: int, limit: int) -> None:
        """Set a tenant's tokens used today and its budget."""
        self.tokens_used.labels(str(tenant_id)).set(used)
        self.tokens_limit.labels(str(tenant_id)).set(limit)

    def vision_outcome(self, outcome: str, reason: str = "") -> None:
        """Count a vision outcome."""
        self.vision.labels(outcome, reason).inc()

    def question(self, status: str, seconds: float) -> None:
        """Count a question and observe its latency."""
        self.questions.labels(status).inc()
        self.question_seconds.observe(seconds)

    def alert_sent(self) -> None:
        """Count an alert."""
        self.alerts.inc()

    def telegram_rate_limited(self) -> None:
        """Count a 429 from Telegram."""
        self.rate_limited.inc()

    def dlq_length(self, stream: str, length: int) -> None:
        """Set a DLQ stream's length."""
        self.dlq.labels(stream).set(length)

    def ingestion_lag(self, channel: str, seconds: float) -> None:
        """Set a channel's ingestion lag."""
        self.lag.labels(channel).set(seconds)

    # --- exposition ---------------------------------------------------------------------------

    def add_refresher(self, refresher: Refresher) -> None:
        """Run `refresher` before each scrape (it sets gauges from stored state)."""
        self._refreshers.append(refresher)

    async def refresh(self) -> None:
        """Bring state-mirroring gauges up to date; a failing refresher never breaks a scrape."""
        for refresher in self._refreshers:
            try:
                await refresher()
            except Exception as error:
                log.warning("metrics_refresh_failed", error=f"{type(error).__name__}: {error}")

    async def exposition(self) -> bytes:
        """The text format Prometheus scrapes, state-mirroring gauges refreshed first."""
        await self.refresh()
        return self.render()

    def render(self) -> bytes:
        """The text format as the registry holds it now (no refresh)."""
        return generate_latest(self.registry)


class MetricsServer:
    """A tiny aiohttp server answering GET /metrics.

    It listens on 127.0.0.1 unless told otherwise (the figures are per chat and there is no
    authentication), and refreshes the stored-state gauges (the per-tenant report, a database
    read) at most once per `cache_seconds`, however often or concurrently it is scraped;
    counters and histograms are always live.
    """

    def __init__(
        self,
        metrics: PrometheusMetrics,
        host: str = "127.0.0.1",
        port: int = 9090,
        *,
        cache_seconds: float = 15.0,
    ) -> None:
        self._metrics = metrics
        self._host = host
        self._port = port
        self._cache_seconds = cache_seconds
        self._refreshed_at: float | None = None
        self._refreshing = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> int:
        """Start listening; returns the bound port (useful with port 0)."""
        app = web.Application()
        app.router.add_get("/metrics", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("metrics_started", port=self.port)
        return self.port

    async def _refresh_if_stale(self) -> None:
        async with self._refreshing:  # concurrent scrapes wait for one refresh, not one each
            now = time.monotonic()
            if self._refreshed_at is None or now - self._refreshed_at >= self._cache_seconds:
                await self._metrics.refresh()
                self._refreshed_at = time.monotonic()

    async def _handle(self, _request: web.Request) -> web.Response:
        started = time.perf_counter()
        await self._refresh_if_stale()
        body = self._metrics.render()
        log.debug("metrics_scraped", seconds=round(time.perf_counter() - started, 4))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
