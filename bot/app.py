"""Building the Bot and the Dispatcher; services arrive as keyword data, never globals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.middlewares import DatabaseMiddleware, LogContextMiddleware, TenantMiddleware
from bot.middlewares.retry import RetryRequests, UpdateScope
from bot.routers import (
    channel_posts,
    digests,
    dlq,
    errors,
    fallback,
    interests,
    questions,
    quota,
    start,
    subscriptions,
    trends,
    watches,
)
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
        BotCommand(command="interests", description="Your interests: add or remove topics"),
        BotCommand(
            command="digest", description="Scheduled digest: /digest daily 09:00 Europe/Moscow"
        ),
        BotCommand(command="watch", description='Keyword watch: /watch "interest rate" -forecast'),
        BotCommand(command="unwatch", description="Remove a keyword watch: /unwatch N"),
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
        BotCommand(command="interests", description="Ваши интересы: добавить или убрать темы"),
        BotCommand(command="digest", description="Дайджест по расписанию: /digest daily 09:00"),
        BotCommand(command="watch", description='Отслеживать слова: /watch "ключевая ставка"'),
        BotCommand(command="unwatch", description="Убрать отслеживание: /unwatch N"),
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
        interests.router,
        digests.router,
        watches.router,
        dlq.router,
    ]
    # Last: plain text is a question only when no other router wants it.
    feature_routers.append(questions.router)
    feature_routers.append(fallback.router)  # buttons nobody else took
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


ADMIN_COMMANDS = {
    "en": [
        BotCommand(command="quota", description="Admins: every chat's usage and limits"),
        BotCommand(command="dlq", description="Admins: dead-letter queue"),
    ],
    "ru": [
        BotCommand(command="quota", description="Админам: расход и лимиты чатов"),
        BotCommand(command="dlq", description="Админам: очередь DLQ"),
    ],
}


async def set_commands(bot: Bot, admin_ids: Iterable[int] = ()) -> None:
    """Publish the command menu, in English by default and in Russian for Russian clients;
    admins' private chats also list the admin commands (nobody else sees them)."""
    await bot.set_my_commands(COMMANDS["en"])
    await bot.set_my_commands(COMMANDS["ru"], language_code="ru")
    for admin in sorted(admin_ids):
        scope = BotCommandScopeChat(chat_id=admin)
        for lang, language_code in (("en", None), ("ru", "ru")):
            await bot.set_my_commands(
                COMMANDS[lang] + ADMIN_COMMANDS[lang], scope=scope, language_code=language_code
            )
