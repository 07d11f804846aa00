"""Building the Bot and the Dispatcher; services arrive as keyword data, never globals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.middlewares import DatabaseMiddleware, LogContextMiddleware, TenantMiddleware
from bot.middlewares.retry import RetryRequests, UpdateScope
from bot.routers import (
    channel_posts,
    chats,
    dlq,
    errors,
    fallback,
    interests,
    questions,
    quota,
    start,
    subscriptions,
    trends,
)
from bot.texts import commands
from core.ports import TenantsUnitOfWork, UnitOfWorkFactory

# Routers in the order updates try them. Last: plain text is a question only when no other
# router wants it, then the buttons nobody else took.
FEATURES = (
    errors,
    chats,
    start,
    subscriptions,
    channel_posts,
    quota,
    trends,
    interests,
    dlq,
    questions,
    fallback,
)


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


def create_dispatcher(
    uow_factory: UnitOfWorkFactory[TenantsUnitOfWork], **services: Any
) -> Dispatcher:
    """A Dispatcher with every feature router; `services` become handler keyword arguments."""
    dispatcher = Dispatcher(uow_factory=uow_factory, **services)
    dispatcher.update.outer_middleware(UpdateScope())
    dispatcher.update.outer_middleware(LogContextMiddleware())
    dispatcher.update.outer_middleware(DatabaseMiddleware(uow_factory))
    dispatcher.update.outer_middleware(TenantMiddleware())
    dispatcher.include_routers(*(feature.make_router() for feature in FEATURES))
    return dispatcher


async def set_commands(bot: Bot, admin_ids: Iterable[int] = ()) -> None:
    """Publish the command menu, in English by default and in Russian for Russian clients;
    admins' private chats also list the admin commands (nobody else sees them)."""
    await bot.set_my_commands(_menu("en"))
    await bot.set_my_commands(_menu("ru"), language_code="ru")
    for admin in sorted(admin_ids):
        scope = BotCommandScopeChat(chat_id=admin)
        for lang, language_code in (("en", None), ("ru", "ru")):
            menu = _menu(lang) + _menu(lang, admin=True)
            await bot.set_my_commands(menu, scope=scope, language_code=language_code)


def _menu(lang: str, *, admin: bool = False) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=text) for name, text in commands(lang, admin=admin)
    ]
