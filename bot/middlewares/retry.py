"""Replies that survive Telegram's flood control and brief outages.

While the Dispatcher handles an update (`UpdateScope` marks it), a request to Telegram that
fails with 429 (`TelegramRetryAfter`, whose ``retry_after`` is honoured), a 5xx
(`TelegramServerError`) or a network error (`TelegramNetworkError`) is sent again, a bounded
number of times, by `RetryRequests`, a request middleware on the Bot's session. Every other
error, and the last failure, goes to the caller unchanged (and from a handler on to
`bot/routers/errors.py`).

Requests made outside update handling pass through untouched: the alert broadcaster and the
jobs handle Telegram's errors themselves (the broadcaster tells its rate limiter about every
429 and schedules its own retries). Typing indicators are never retried: they are cosmetic and
the answer must not wait for them.

A request that Telegram carried out but whose answer was lost on the way back (a timeout, a
connection reset after the send) is repeated when retried: the Bot API has no idempotency key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, SendChatAction, TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import TelegramObject

log = structlog.get_logger(__name__)

_handling_update: ContextVar[bool] = ContextVar("tgassist_handling_update", default=False)
_NEVER_RETRIED = (SendChatAction, GetUpdates)

Sleep = Callable[[float], Awaitable[None]]


class UpdateScope(BaseMiddleware):
    """Outer update middleware: marks the requests made while an update is handled."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = _handling_update.set(True)
        try:
            return await handler(event, data)
        finally:
            _handling_update.reset(token)


class RetryRequests(BaseRequestMiddleware):
    """Retries 429, 5xx and network failures of requests made while handling an update.

    At most `attempts` tries in all; a 429 waits the ``retry_after`` Telegram asked for (one
    longer than `max_retry_after` is not waited for), other failures back off exponentially
    from `base_delay` up to `max_delay`.
    """

    def __init__(
        self,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 4.0,
        max_retry_after: float = 10.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._attempts = attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._max_retry_after = max_retry_after
        self._sleep = sleep

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        if not _handling_update.get() or isinstance(method, _NEVER_RETRIED):
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self._attempts or error.retry_after > self._max_retry_after:
                    raise
                delay = float(error.retry_after)
                reason = "flood control"
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt >= self._attempts:
                    raise
                delay = min(self._base_delay * 2 ** (attempt - 1), self._max_delay)
                reason = error.message[:200]
            log.warning(
                "telegram_request_retried",
                method=method.__api_method__,
                attempt=attempt,
                delay=delay,
                reason=reason,
            )
            await self._sleep(delay)
            attempt += 1
