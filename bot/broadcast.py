"""Sending an outbox's messages under Telegram's limits, exactly once each.

Trend alerts, digests and watch hits all go through `OutboxBroadcaster`. It claims a batch from an outbox, reserves a send slot per alert from the rate
limiter (overall ~30/s, 1/s per chat, 20/min per group; shared through Redis when configured)
and records every outcome as soon as Telegram answers:

- sent: marked sent with the message id (never claimed again); a message of several parts
  records each part as it goes, so a crash in the middle resumes after the last part sent;
- ``TelegramRetryAfter``: the limiter is told, the alert waits ``retry_after`` and goes again;
- ``TelegramMigrateToChat``: the chat's tenant and alerts move to the supergroup, sent there
  (unless the supergroup already has that trend's alert: then this one is dropped);
- ``TelegramForbiddenError``: the bot was blocked or removed, so the chat is dropped (the
  outbox's blocked hook: alerts off, digests off, watches removed);
- other refusals fail the alert; network and server errors make it due again later.

Every delivered trend alert is counted through the metrics port (``alert_sent``); 429s are counted
by the Bot session's ``RateLimitCounter`` middleware (``app/runner.py``), so not again here.

Stopping (cancellation) lets messages already on the wire finish and be recorded, and hands
the rest of the batch back at once. After a hard crash the claimed rows come back when their
lease ends; only a message in flight at the instant of the crash can be repeated, because the
Bot API has no idempotency key.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

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
from aiogram.types import InlineKeyboardMarkup

from bot.views.trends import alert_keyboard, alert_text
from core.delivery.models import OutboxMessage
from core.delivery.outbox import Deliverable, Outbox
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


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Telegram message of an outbox row."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None


class Sendable(Deliverable, Protocol):
    """What the broadcaster needs of a claimed row, besides what the outbox needs."""

    @property
    def chat_kind(self) -> str: ...

    @property
    def thread_id(self) -> int | None: ...

    @property
    def parts_sent(self) -> int: ...


Item = TypeVar("Item", bound=Sendable)


class OutboxBroadcaster(Generic[Item]):
    """Delivers an outbox's due rows through a Bot; `render` turns a row into its messages."""

    def __init__(
        self,
        bot: Bot,
        outbox: Outbox[Item, Any],
        limiter: SendRateLimiter,
        render: Callable[[Item], list[Outgoing]],
        *,
        concurrency: int = 32,
        batch_size: int = 64,
        max_retry_after: int = 5,
        on_sent: Callable[[], None] | None = None,
    ) -> None:
        self._bot = bot
        self._outbox = outbox
        self._limiter = limiter
        self._render = render
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._max_retry_after = max_retry_after
        self._on_sent = on_sent
        self._lock = asyncio.Lock()  # one pass at a time per process

    async def deliver_pending(self, *, max_batches: int | None = None) -> BroadcastReport:
        """Send every due row (or `max_batches` batches of them); returns the counts."""
        report = BroadcastReport()
        async with self._lock:
            batches = 0
            while max_batches is None or batches < max_batches:
                token = uuid.uuid4().hex
                items, until = await self._outbox.claim(token, self._batch_size)
                if not items:
                    break
                batches += 1
                await self._deliver_batch(items, token, until, report)
        if report.sent or report.failed or report.retried_later:
            log.info(
                "outbox_delivered",
                outbox=self._outbox.name,
                sent=report.sent,
                failed=report.failed,
                blocked=report.blocked,
                retried_later=report.retried_later,
                rate_limited=report.rate_limited,
            )
        return report

    async def _deliver_batch(
        self, items: list[Item], token: str, until: datetime, report: BroadcastReport
    ) -> None:
        deadline = until - _LEASE_MARGIN
        stopping = asyncio.Event()
        started: set[int] = set()
        semaphore = asyncio.Semaphore(self._concurrency)

        async def one(item: Item) -> None:
            async with semaphore:
                if stopping.is_set():
                    return
                started.add(item.item_id)
                await self._deliver(item, token, deadline, stopping, report)

        tasks = [asyncio.create_task(one(item)) for item in items]
        try:
            await asyncio.wait(tasks)  # wait() never cancels the tasks themselves
        except asyncio.CancelledError:
            stopping.set()
            await asyncio.wait(tasks, timeout=15)  # let messages on the wire be recorded
            unsent = [item.item_id for item in items if item.item_id not in started]
            await asyncio.shield(self._outbox.release(token, unsent))
            report.released += len(unsent)
            raise
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                report.errors.append(repr(task.exception()))
                log.error("outbox_item_crashed", error=repr(task.exception()))

    async def _deliver(
        self,
        item: Item,
        token: str,
        deadline: datetime,
        stopping: asyncio.Event,
        report: BroadcastReport,
    ) -> None:
        target = _Target(item.chat_id, item.chat_kind in _GROUP_KINDS)
        parts = self._render(item)
        message_id: int | None = None
        for number in range(item.parts_sent, len(parts)):
            message_id = await self._send_part(
                item, parts[number], target, token, deadline, stopping, report
            )
            if message_id is None:
                return  # the outcome is recorded already
            if number + 1 < len(parts):
                await self._outbox.progress(item, token, number + 1)
        await self._outbox.sent(item, token, message_id)
        if self._on_sent is not None:
            self._on_sent()
        report.sent += 1

    async def _send_part(
        self,
        item: Item,
        part: Outgoing,
        target: _Target,
        token: str,
        deadline: datetime,
        stopping: asyncio.Event,
        report: BroadcastReport,
    ) -> int | None:
        """Send one message of a row; None when the row's outcome was recorded instead."""
        for _ in range(self._max_retry_after + 1):
            wait = await self._limiter.reserve(target.chat_id, target.is_group)
            if wait > 0:
                await asyncio.sleep(wait)
            if stopping.is_set():
                await self._outbox.release(token, [item.item_id])
                report.released += 1
                return None
            try:
                message = await self._bot.send_message(
                    target.chat_id,
                    part.text,
                    message_thread_id=item.thread_id,
                    reply_markup=part.reply_markup,
                    disable_web_page_preview=True,
                )
            except TelegramRetryAfter as error:
                report.rate_limited += 1
                await self._limiter.penalize(target.chat_id, error.retry_after)
                resume = self._outbox.clock() + timedelta(seconds=error.retry_after)
                if resume >= deadline:
                    await self._outbox.retry_later(
                        item, token, "flood control", timedelta(seconds=error.retry_after)
                    )
                    report.retried_later += 1
                    return None
                await asyncio.sleep(error.retry_after)
                continue
            except TelegramMigrateToChat as error:
                moved = await self._outbox.migrated(item, error.migrate_to_chat_id)
                report.migrated += 1
                if not moved:  # the supergroup has this row already
                    await self._outbox.failed(item, token, "chat migrated; already there")
                    report.failed += 1
                    return None
                target = _Target(error.migrate_to_chat_id, True)
                continue
            except (TelegramForbiddenError, TelegramUnauthorizedError) as error:
                if isinstance(error, TelegramUnauthorizedError):
                    raise  # a wrong token is the operator's problem, not the chat's
                await self._outbox.blocked(item, token, error.message)
                report.blocked += 1
                return None
            except (TelegramNetworkError, TelegramServerError) as error:
                await self._outbox.retry_later(item, token, _short(error), _RETRY_DELAY)
                report.retried_later += 1
                return None
            except (TelegramBadRequest, TelegramNotFound, TelegramAPIError) as error:
                await self._outbox.failed(item, token, _short(error))
                report.failed += 1
                return None
            return message.message_id
        await self._outbox.retry_later(item, token, "flood control", _RETRY_DELAY)
        report.retried_later += 1
        return None


@dataclass(slots=True)
class _Target:
    """Where a row's messages go now (a migrated group moves mid-row)."""

    chat_id: int
    is_group: bool


class AlertBroadcaster(OutboxBroadcaster[AlertToSend]):
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
        def render(alert: AlertToSend) -> list[Outgoing]:
            text = alert_text(alert.language, alert.trend, window_hours, alert.escalation)
            return [Outgoing(text, alert_keyboard(alert.language, alert.trend))]

        super().__init__(
            bot,
            outbox,
            limiter,
            render,
            concurrency=concurrency,
            batch_size=batch_size,
            max_retry_after=max_retry_after,
            on_sent=metrics.alert_sent,
        )


def message_parts(message: OutboxMessage) -> list[Outgoing]:
    """A prepared message's parts, as stored."""
    return [Outgoing(part) for part in message.parts]


def _short(error: TelegramAPIError) -> str:
    return f"{type(error).__name__}: {error.message}"[:300]
