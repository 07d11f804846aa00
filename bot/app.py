"""Building the Bot and the Dispatcher; services arrive as keyword data, never globals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.strategy import FSMStrategy
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.middlewares import DatabaseMiddleware, LogContextMiddleware, TenantMiddleware
from bot.middlewares.response_types import KeepResponseTypes
from bot.middlewares.retry import RetryRequests, UpdateScope
from bot.routers import (
    channel_posts,
    chats,
    digests,
    dlq,
    errors,
    fallback,
    interests,
    language,
    questions,
    quota,
    start,
    subscriptions,
    trends,
    watches,
)
from bot.texts import commands, t
from core.ports import TenantsUnitOfWork, UnitOfWorkFactory

# Routers in the order updates try them. Last: plain text is a question only when no other
# router wants it, then the buttons nobody else took.
FEATURES = (
    errors,
    chats,
    start,
    language,
    subscriptions,
    channel_posts,
    quota,
    trends,
    interests,
    digests,
    watches,
    dlq,
    questions,
    fallback,
)

log = structlog.get_logger(__name__)


def create_bot(token: str, api_base: str) -> Bot:
    """A Bot talking to the given Bot API server, HTML by default, link previews off.

    Replies sent while handling an update are retried on 429, 5xx and network errors.
    """
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    session.middleware(KeepResponseTypes())
    session.middleware(RetryRequests())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(
    uow_factory: UnitOfWorkFactory[TenantsUnitOfWork],
    *,
    fsm_storage: BaseStorage | None = None,
    **services: Any,
) -> Dispatcher:
    """A Dispatcher with every feature router; `services` become handler keyword arguments.

    `fsm_storage` keeps what the bot asked each user for (bare commands); in memory by default,
    Redis when several bot processes share the updates.
    """
    dispatcher = Dispatcher(
        storage=fsm_storage or MemoryStorage(),
        # A prompt waits in its forum topic: the answer comes from there, and `--workers` routes
        # by chat and topic, so the worker that asked is the one that gets the answer.
        fsm_strategy=FSMStrategy.USER_IN_TOPIC,
        uow_factory=uow_factory,
        **services,
    )
    dispatcher.update.outer_middleware(UpdateScope())
    dispatcher.update.outer_middleware(LogContextMiddleware())
    dispatcher.update.outer_middleware(DatabaseMiddleware(uow_factory))
    dispatcher.update.outer_middleware(TenantMiddleware())
    dispatcher.include_routers(*(feature.make_router() for feature in FEATURES))
    return dispatcher


async def set_commands(bot: Bot, admin_ids: Iterable[int] = ()) -> None:
    """Publish the command menu and the bot's description and short description, in English by
    default and in Russian for Russian clients; admins' private chats also list the admin
    commands (nobody else sees them)."""
    for lang, language_code in (("en", None), ("ru", "ru")):
        await bot.set_my_commands(_menu(lang), language_code=language_code)
        try:
            await bot.set_my_description(t(lang, "bot_description"), language_code=language_code)
            await bot.set_my_short_description(
                t(lang, "bot_short_description"), language_code=language_code
            )
        except TelegramAPIError as error:  # Telegram limits how often these change: not fatal
            log.warning("bot_description_not_set", language=lang, error=error.message)
    for admin in sorted(admin_ids):
        scope = BotCommandScopeChat(chat_id=admin)
        for lang, language_code in (("en", None), ("ru", "ru")):
            menu = _menu(lang) + _menu(lang, admin=True)
            await bot.set_my_commands(menu, scope=scope, language_code=language_code)


def _menu(lang: str, *, admin: bool = False) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=text) for name, text in commands(lang, admin=admin)
    ]
