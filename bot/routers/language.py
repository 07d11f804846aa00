"""/lang en|ru: the chat's language, stored per chat; it then wins over each user's client."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import HasArgs, command_args, managed_router, managers_only
from bot.texts import LANGUAGES, t
from core.models import Tenant
from core.ports import TenantsUnitOfWork


async def language_usage(message: Message, lang: str) -> None:
    """`/lang` alone (or with something else): how to choose, and the current language."""
    await message.answer(t(lang, "lang_usage", current=t(lang, "language_name")))


async def set_language(message: Message, uow: TenantsUnitOfWork, tenant: Tenant) -> None:
    """Store the chat's language (in groups: administrators only)."""
    choice = command_args(message).lower()
    await uow.tenants.set_language(tenant.id, choice)
    await uow.commit()
    await message.answer(t(choice, "lang_set"))


class KnownLanguage(HasArgs):
    """`/lang en` or `/lang ru`."""

    async def __call__(self, message: Message) -> bool:
        return command_args(message).lower() in LANGUAGES


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = managed_router(__name__)
    router.message.register(
        set_language, Command("lang"), KnownLanguage(), flags=managers_only("lang_admins_only")
    )
    router.message.register(language_usage, Command("lang"))
    return router
