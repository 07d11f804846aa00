"""Resolves the chat's tenant and the user's language for every update from a chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from bot.texts import language_of
from core.ports import TenantsUnitOfWork


class TenantMiddleware(BaseMiddleware):
    """Outer update middleware (after the database one): `tenant` and `lang` for handlers."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        uow: TenantsUnitOfWork = data["uow"]
        lang = language_of(user.language_code if user else None)
        data["lang"] = lang
        if chat is not None and chat.type != "channel":
            title = chat.title or chat.full_name if chat.type != "private" else None
            tenant = await uow.tenants.get_or_create(chat.id, chat.type, title, lang)
            if not tenant.active and getattr(event, "my_chat_member", None) is None:
                # Someone writes from a chat the bot had left or been blocked in: it is back.
                await uow.tenants.set_active(chat.id, True)
                tenant = replace(tenant, active=True)
            data["tenant"] = tenant
            if user is not None and not user.is_bot:
                await uow.users.touch(user.id, user.username, user.first_name, user.language_code)
            await uow.commit()
        return await handler(event, data)
