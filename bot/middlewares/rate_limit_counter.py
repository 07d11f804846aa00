"""Counts Telegram's 429 answers for the metrics, whoever sent the request."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod

from core.metrics import Metrics


class RateLimitCounter(BaseRequestMiddleware):
    """An aiogram request middleware counting Telegram's 429 answers (then re-raising them)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self._metrics.telegram_rate_limited()
            raise
