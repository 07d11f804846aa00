"""Resolves the chat's tenant and the user's language for every update from a chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from bot.texts import language_of
from core.batching import BatchWriter
from core.clock import utc_now
from core.models import UserContact
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
            tenant = cache.tenant(chat.id) if cache is not None else None  # only active ones
            if tenant is None:
                uow: TenantsUnitOfWork = data["uow"]
                title = chat.title or chat.full_name if chat.type != "private" else None
                tenant = await uow.tenants.get_or_create(chat.id, chat.type, title, lang)
                if not tenant.active and getattr(event, "my_chat_member", None) is None:
                    # Someone writes from a chat the bot had left or been blocked in: it is back.
                    await uow.tenants.set_active(chat.id, True)
                    tenant = replace(tenant, active=True)
                await uow.commit()
                if cache is not None and tenant.active:
                    cache.keep_tenant(tenant)
            data["tenant"] = tenant
            if tenant.language_chosen:  # /lang: the chat's choice wins over the client's
                data["lang"] = tenant.language
            if user is not None and not user.is_bot:
                await _touch(user, data, cache)
        return await handler(event, data)


async def _touch(user: User, data: dict[str, Any], cache: TenantCache | None) -> None:
    """Record the user's contact: queued for a batch write, and only when the details changed
    or the cache forgot them (no write on the answer path)."""
    details = (user.username, user.first_name, user.language_code)
    if cache is not None and cache.user_stored(user.id, details):
        return
    contact = UserContact(user.id, *details, utc_now())
    contacts: BatchWriter[UserContact] | None = data.get("user_contacts")
    if contacts is not None:
        await contacts.submit(contact)
    else:  # a dispatcher built without the writer
        uow: TenantsUnitOfWork = data["uow"]
        await uow.users.touch_many([contact])
        await uow.commit()
    if cache is not None:
        cache.keep_user(user.id, details)
