"""Resolves the chat's tenant and the user's language for every update from a chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from bot.texts import language_of
from core.ports import TenantsUnitOfWork
from core.tenant_cache import TenantCache


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
        lang = language_of(user.language_code if user else None)
        data["lang"] = lang
        if chat is not None and chat.type != "channel":
            cache: TenantCache | None = data.get("tenant_cache")
            tenant = cache.tenant(chat.id) if cache is not None else None
            details = (user.username, user.first_name, user.language_code) if user else None
            stale_user = (
                user is not None
                and not user.is_bot
                and details is not None
                and (cache is None or not cache.user_stored(user.id, details))
            )
            if tenant is None or stale_user:
                uow: TenantsUnitOfWork = data["uow"]
                if tenant is None:
                    title = chat.title or chat.full_name if chat.type != "private" else None
                    tenant = await uow.tenants.get_or_create(chat.id, chat.type, title, lang)
                if stale_user and user is not None:
                    await uow.users.touch(
                        user.id, user.username, user.first_name, user.language_code
                    )
                await uow.commit()
                if cache is not None:
                    cache.keep_tenant(tenant)
                    if stale_user and user is not None and details is not None:
                        cache.keep_user(user.id, details)
            data["tenant"] = tenant
        return await handler(event, data)
