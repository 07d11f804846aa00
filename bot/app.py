"""Building the Bot and the Dispatcher; services arrive as keyword data, never globals."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand

from bot.middlewares import DatabaseMiddleware, LogContextMiddleware, TenantMiddleware
from bot.middlewares.retry import RetryRequests, UpdateScope
from bot.routers import channel_posts, errors, questions, quota, start, subscriptions, trends
from core.ports import UnitOfWorkFactory

COMMANDS = {
    "en": [
        BotCommand(command="start", description="What this bot does"),
        BotCommand(command="help", description="All commands"),
        BotCommand(command="subscribe", description="Follow a channel: /subscribe @name"),
        BotCommand(command="unsubscribe", description="Stop following a channel"),
        BotCommand(command="channels", description="Channels this chat follows"),
        BotCommand(command="ask", description="Ask about the channels' posts"),
        BotCommand(command="trends", description="Stories several channels cover now"),
        BotCommand(command="alerts", description="Trend alerts: /alerts on|off"),
    ],
    "ru": [
        BotCommand(command="start", description="Что умеет бот"),
        BotCommand(command="help", description="Все команды"),
        BotCommand(command="subscribe", description="Подписаться: /subscribe @name"),
        BotCommand(command="unsubscribe", description="Отписаться от канала"),
        BotCommand(command="channels", description="Каналы этого чата"),
        BotCommand(command="ask", description="Спросить по постам каналов"),
        BotCommand(command="trends", description="О чём пишут сразу несколько каналов"),
        BotCommand(command="alerts", description="Оповещения о трендах: /alerts on|off"),
    ],
}


def create_bot(token: str, api_base: str) -> Bot:
    """A Bot talking to the given Bot API server, HTML by default, link previews off.

    Replies sent while handling an update are retried on 429, 5xx and network errors.
    """
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    session.middleware(RetryRequests())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(uow_factory: UnitOfWorkFactory, **services: Any) -> Dispatcher:
    """A Dispatcher with every feature router; `services` become handler keyword arguments."""
    dispatcher = Dispatcher(uow_factory=uow_factory, **services)
    dispatcher.update.outer_middleware(UpdateScope())
    dispatcher.update.outer_middleware(LogContextMiddleware())
    dispatcher.update.outer_middleware(DatabaseMiddleware(uow_factory))
    dispatcher.update.outer_middleware(TenantMiddleware())
    feature_routers = [
        errors.router,
        start.router,
        subscriptions.router,
        channel_posts.router,
        quota.router,
        trends.router,
    ]
    # Last: plain text is a question only when no other router wants it.
    feature_routers.append(questions.router)
    for router in feature_routers:
        _detach(router)
    dispatcher.include_routers(*feature_routers)
    return dispatcher


def _detach(router: Router) -> None:
    """Free a module-level router from a previous Dispatcher (tests build one per test)."""
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None


async def set_commands(bot: Bot) -> None:
    """Publish the command menu, in English by default and in Russian for Russian clients."""
    await bot.set_my_commands(COMMANDS["en"])
    await bot.set_my_commands(COMMANDS["ru"], language_code="ru")
