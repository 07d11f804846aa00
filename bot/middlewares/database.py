"""One unit of work (one AsyncSession) per update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from core.ports import TenantsUnitOfWork, UnitOfWorkFactory


class DatabaseMiddleware(BaseMiddleware):
    """Outer update middleware: handlers get `uow`, closed when the update is done."""

    def __init__(self, uow_factory: UnitOfWorkFactory[TenantsUnitOfWork]) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._uow_factory() as uow:
            data["uow"] = uow
            return await handler(event, data)
