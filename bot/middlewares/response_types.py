"""Keeps aiogram's parsed-response classes alive, so they are built once per process.

aiogram parses every Bot API answer with ``Response[method.__returning__]``. pydantic keeps such
parametrised classes in a weak cache only, and nothing else holds them: after a garbage
collection the next request builds the class again (schema generation, milliseconds each).
Under load that was about a tenth of the bot's CPU time (py-spy, `bench/bot_profile.py`).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod


class KeepResponseTypes(BaseRequestMiddleware):
    """A request middleware holding a strong reference to each method's response class."""

    def __init__(self) -> None:
        self._kept: dict[type[TelegramMethod[Any]], type[Response[Any]]] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        kind = type(method)
        if kind not in self._kept:
            self._kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
