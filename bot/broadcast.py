"""Sending queued trend alerts under Telegram's limits, exactly once per chat and trend.

The broadcaster claims a batch from the outbox, reserves a send slot per alert from the rate
limiter (overall ~30/s, 1/s per chat, 20/min per group; shared through Redis when configured)
and records every outcome as soon as Telegram answers:

- sent: marked sent with the message id (never claimed again);
- ``TelegramRetryAfter``: the limiter is told, the alert waits ``retry_after`` and goes again;
- ``TelegramMigrateToChat``: the chat's tenant and alerts move to the supergroup, sent there
  (unless the supergroup already has that trend's alert: then this one is dropped);
- ``TelegramForbiddenError``: the bot was blocked or removed, so the chat's alerts go off;
- other refusals fail the alert; network and server errors make it due again later.

Every delivered alert is counted through the metrics port (``alert_sent``); 429s are counted
by the Bot session's ``RateLimitCounter`` middleware (``app/runner.py``), so not again here.

Stopping (cancellation) lets messages already on the wire finish and be recorded, and hands
the rest of the batch back at once. After a hard crash the claimed rows come back when their
lease ends; only a message in flight at the instant of the crash can be repeated, because the
Bot API has no idempotency key.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.views.trends import alert_keyboard, alert_text
from core.metrics import NULL_METRICS, Metrics
from core.trends.models import AlertToSend
from core.trends.outbox import AlertOutbox
from core.trends.ports import SendRateLimiter

log = structlog.get_logger(__name__)

_GROUP_KINDS = frozenset({"group", "supergroup"})
_RETRY_DELAY = timedelta(minutes=1)  # after a network or server error
_LEASE_MARGIN = timedelta(seconds=30)  # stop waiting this long before the lease ends


@dataclass(slots=True)
class BroadcastReport:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried_later: int = 0
    migrated: int = 0
    rate_limited: int = 0  # 429s received
    released: int = 0
    errors: list[str] = field(default_factory=list)


class AlertBroadcaster:
    """Delivers pending trend alerts through a Bot."""

    def __init__(
        self,
        bot: Bot,
        outbox: AlertOutbox,
        limiter: SendRateLimiter,
        *,
        window_hours: float = 6.0,
        concurrency: int = 32,
        batch_size: int = 64,
        max_retry_after: int = 5,
        metrics: Metrics = NULL_METRICS,
    ) -> None:
        self._bot = bot
        self._metrics = metrics
        self._outbox = outbox
        self._limiter = limiter
        self._window_hours = window_hours
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._max_retry_after = max_retry_after
        self._lock = asyncio.Lock()  # one pass at a time per process

    async def deliver_pending(self, *, max_batches: int | None = None) -> BroadcastReport:
        """Send every due alert (or `max_batches` batches of them); returns the counts."""
        report = BroadcastReport()
        async with self._lock:
            batches = 0
            while max_batches is None or batches < max_batches:
                token = uuid.uuid4().hex
                alerts, until = await self._outbox.claim(token, self._batch_size)
                if not alerts:
                    break
                batches += 1
                await self._deliver_batch(alerts, token, until, report)
        if report.sent or report.failed or report.retried_later:
            log.info(
                "trend_alerts_delivered",
                sent=report.sent,
                failed=report.failed,
                blocked=report.blocked,
                retried_later=report.retried_later,
                rate_limited=report.rate_limited,
            )
        return report

    async def _deliver_batch(
        self, alerts: list[AlertToSend], token: str, until: datetime, report: BroadcastReport
    ) -> None:
        deadline = until - _LEASE_MARGIN
        stopping = asyncio.Event()
        started: set[int] = set()
        semaphore = asyncio.Semaphore(self._concurrency)

        async def one(alert: AlertToSend) -> None:
            async with semaphore:
                if stopping.is_set():
                    return
                started.add(alert.alert_id)
                await self._deliver(alert, token, deadline, stopping, report)

        tasks = [asyncio.create_task(one(alert)) for alert in alerts]
        try:
            await asyncio.wait(tasks)  # wait() never cancels the tasks themselves
        except asyncio.CancelledError:
            stopping.set()
            await asyncio.wait(tasks, timeout=15)  # let messages on the wire be recorded
            unsent = [alert.alert_id for alert in alerts if alert.alert_id not in started]
            await asyncio.shield(self._outbox.release(token, unsent))
            report.released += len(unsent)
            raise
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                report.errors.append(repr(task.exception()))
                log.error("trend_alert_crashed", error=repr(task.exception()))

    async def _deliver(
        self,
        alert: AlertToSend,
        token: str,
        deadline: datetime,
        stopping: asyncio.Event,
        report: BroadcastReport,
    ) -> None:
        chat_id = alert.chat_id
        is_group = alert.chat_kind in _GROUP_KINDS
        text = alert_text(alert.language, alert.trend, self._window_hours, alert.escalation)
        keyboard = alert_keyboard(alert.language, alert.trend)
        for _ in range(self._max_retry_after + 1):
            wait = await self._limiter.reserve(chat_id, is_group)
            if wait > 0:
                await asyncio.sleep(wait)
            if stopping.is_set():
                await self._outbox.release(token, [alert.alert_id])
                report.released += 1
                return
            try:
                message = await self._bot.send_message(
                    chat_id, text, reply_markup=keyboard, disable_web_page_preview=True
                )
            except TelegramRetryAfter as error:
                report.rate_limited += 1
                await self._limiter.penalize(chat_id, error.retry_after)
                resume = self._outbox.clock() + timedelta(seconds=error.retry_after)
                if resume >= deadline:
                    await self._outbox.retry_later(
                        alert, token, "flood control", timedelta(seconds=error.retry_after)
                    )
                    report.retried_later += 1
                    return
                await asyncio.sleep(error.retry_after)
                continue
            except TelegramMigrateToChat as error:
                moved = await self._outbox.migrated(alert, error.migrate_to_chat_id)
                report.migrated += 1
                if not moved:  # the supergroup has this trend's alert already
                    await self._outbox.failed(alert, token, "chat migrated; alert already there")
                    report.failed += 1
                    return
                chat_id, is_group = error.migrate_to_chat_id, True
                continue
            except (TelegramForbiddenError, TelegramUnauthorizedError) as error:
                if isinstance(error, TelegramUnauthorizedError):
                    raise  # a wrong token is the operator's problem, not the chat's
                await self._outbox.blocked(alert, token, error.message)
                report.blocked += 1
                return
            except (TelegramNetworkError, TelegramServerError) as error:
                await self._outbox.retry_later(alert, token, _short(error), _RETRY_DELAY)
                report.retried_later += 1
                return
            except (TelegramBadRequest, TelegramNotFound, TelegramAPIError) as error:
                await self._outbox.failed(alert, token, _short(error))
                report.failed += 1
                return
            await self._outbox.sent(alert, token, message.message_id)
            self._metrics.alert_sent()
            report.sent += 1
            return
        await self._outbox.retry_later(alert, token, "flood control", _RETRY_DELAY)
        report.retried_later += 1


def _short(error: TelegramAPIError) -> str:
    return f"{type(error).__name__}: {error.message}"[:300]
