"""Binds update_id and chat_id to every log line of an update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update


class LogContextMiddleware(BaseMiddleware):
    """Outer update middleware: structlog context variables for the update's lifetime."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        chat = data.get("event_chat")
        user = data.get("event_from_user")
        with structlog.contextvars.bound_contextvars(
            update_id=event.update_id,
            chat_id=chat.id if chat else None,
            user_id=user.id if user else None,
        ):
            return await handler(event, data)
