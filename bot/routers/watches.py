"""/watch, /unwatch and the remove buttons of the /watch list."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message

from bot.filters import FirstArgument, HasArgs, command_args, managed_router, managers_only
from bot.formatting import echo, html_to_text
from bot.replies import edit_in_place
from bot.texts import t
from bot.topics import HERE, TopicsUnitOfWork, choose_topic
from bot.views.watches import UnwatchCallback, watch_list
from core.delivery.models import MessageKind
from core.models import Tenant
from core.watches.expression import InvalidWatch
from core.watches.ports import WatchesUnitOfWork
from core.watches.service import WatchLimitReached, WatchService


class NumberArgument(BaseFilter):
    """The command is followed by a number (`/unwatch 2`)."""

    async def __call__(self, message: Message) -> bool:
        return command_args(message).isdigit()


async def list_watches(
    message: Message, uow: WatchesUnitOfWork, tenant: Tenant, lang: str, watch_service: WatchService
) -> None:
    """`/watch` alone: the chat's watches, numbered, with remove buttons."""
    watches = await watch_service.watches(uow, tenant)
    text, markup = watch_list(lang, watches, watch_service.limits.max_watches)
    await message.answer(text, reply_markup=markup)


async def watch_here(message: Message, uow: TopicsUnitOfWork, tenant: Tenant, lang: str) -> None:
    """`/watch here` in a forum topic: watch hits go to that topic."""
    await choose_topic(message, uow, tenant, lang, MessageKind.WATCH.value)


async def add_watch(
    message: Message, uow: WatchesUnitOfWork, tenant: Tenant, lang: str, watch_service: WatchService
) -> None:
    """`/watch expression`: add a watch, or say why it is refused."""
    user_id = message.from_user.id if message.from_user else None
    try:
        added = await watch_service.add(uow, tenant, command_args(message), user_id)
    except InvalidWatch as refused:
        values = {key: echo(value) for key, value in refused.values.items()}
        await message.answer(t(lang, refused.reason, **values))
        return
    except WatchLimitReached as error:
        await message.answer(t(lang, "watch_limit", limit=error.limit))
        return
    number = len(await watch_service.watches(uow, tenant))
    await message.answer(
        t(lang, "watch_added", number=number, expression=echo(added.expression, 200))
    )


async def unwatch(
    message: Message, uow: WatchesUnitOfWork, tenant: Tenant, lang: str, watch_service: WatchService
) -> None:
    """`/unwatch N`: remove the watch with this number in the /watch list."""
    number = command_args(message)
    removed = await watch_service.remove(uow, tenant, number=int(number))
    if removed is None:
        await message.answer(t(lang, "watch_no_such", number=echo(number, 12)))
        return
    await message.answer(t(lang, "watch_removed", expression=echo(removed.expression, 200)))


async def unwatch_usage(message: Message, lang: str) -> None:
    """`/unwatch` without a number: how to use it."""
    await message.answer(t(lang, "unwatch_usage"))


async def unwatch_button(
    query: CallbackQuery,
    callback_data: UnwatchCallback,
    uow: WatchesUnitOfWork,
    tenant: Tenant,
    lang: str,
    watch_service: WatchService,
) -> None:
    """Remove a watch from the list's button and show the list again."""
    message = query.message
    removed = await watch_service.remove(uow, tenant, watch_id=callback_data.watch_id)
    if removed is None or not isinstance(message, Message):
        await query.answer(t(lang, "button_inactive"))
        return
    watches = await watch_service.watches(uow, tenant)
    text, markup = watch_list(lang, watches, watch_service.limits.max_watches)
    await edit_in_place(message, text, markup)
    removed_text = t(lang, "watch_removed", expression=echo(removed.expression, 100))
    await query.answer(html_to_text(removed_text)[:200])


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = managed_router(__name__)
    managers = managers_only("watch_admins_only")
    router.message.register(watch_here, Command("watch"), FirstArgument(HERE), flags=managers)
    router.message.register(add_watch, Command("watch"), HasArgs(), flags=managers)
    router.message.register(list_watches, Command("watch"))
    router.message.register(unwatch, Command("unwatch"), NumberArgument(), flags=managers)
    router.message.register(unwatch_usage, Command("unwatch"))
    router.callback_query.register(unwatch_button, UnwatchCallback.filter(), flags=managers)
    return router
