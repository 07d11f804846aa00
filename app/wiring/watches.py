"""Wiring of keyword watches: the service, and matching plus delivery right after ingestion."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from app.settings import Settings
from app.wiring.messages import MessageDelivery
from core.ports import UnitOfWorkFactory
from core.watches.ports import WatchesUnitOfWork
from core.watches.service import WatchLimits, WatchService

if TYPE_CHECKING:
    from aiogram import Bot

log = structlog.get_logger(__name__)


@dataclass
class WatchServices:
    """The watch service and the single background pass that matches and sends at once."""

    service: WatchService
    delivery: MessageDelivery
    _task: asyncio.Task[None] | None = None
    _again: bool = False

    async def run(self, bot: Bot | None) -> dict[str, int]:
        """Match the posts stored since the last pass, then send what is due (with a bot)."""
        report = await self.service.scan()
        result = {"posts": report.posts, "hits": report.hits, "messages": report.messages}
        if bot is not None:
            delivered = await self.delivery.broadcaster(bot).deliver_pending()
            result["sent"] = delivered.sent
        return result

    def kick(self, bot: Bot | None) -> None:
        """Run a pass in the background now (posts just arrived); passes never overlap."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._loop(bot))

    async def _loop(self, bot: Bot | None) -> None:
        while True:
            self._again = False
            try:
                await self.run(bot)
            except Exception:
                log.exception("watch_pass_failed")
            if not self._again:
                return

    async def drain(self) -> None:
        """Wait for the background pass (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop a running pass."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def build_watch_services(
    settings: Settings, uow_factory: UnitOfWorkFactory[WatchesUnitOfWork], delivery: MessageDelivery
) -> WatchServices:
    """Watches with the limits from settings; hits rendered by the bot's views."""
    from bot.views.watches import render_hits

    limits = WatchLimits(
        max_watches=settings.watch_max_per_chat,
        max_messages_per_hour=settings.watch_max_messages_per_hour,
    )
    return WatchServices(WatchService(uow_factory, render_hits, limits=limits), delivery)
