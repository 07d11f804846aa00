"""/watch, /unwatch and the remove buttons of the /watch list."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import command_args, sender_may_manage
from bot.formatting import echo, html_to_text
from bot.replies import edit_in_place
from bot.texts import t
from bot.topics import HERE, choose_topic
from bot.watch_views import UnwatchCallback, watch_list
from core.delivery.models import MessageKind
from core.models import Tenant
from core.ports import UnitOfWork
from core.watches.expression import InvalidWatch
from core.watches.service import WatchLimitReached, WatchService

router = Router(name=__name__)


@router.message(Command("watch"))
async def watch(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    watch_service: WatchService,
) -> None:
    """List the chat's watches, add one, or send hits to this forum topic (`/watch here`)."""
    argument = command_args(message)
    if not argument:
        text, markup = watch_list(
            lang, await watch_service.watches(uow, tenant), watch_service.limits.max_watches
        )
        await message.answer(text, reply_markup=markup)
        return
    if argument.lower() in HERE:
        await choose_topic(message, bot, uow, tenant, lang, MessageKind.WATCH.value)
        return
    if not await sender_may_manage(bot, message):
        await message.answer(t(lang, "watch_admins_only"))
        return
    user_id = message.from_user.id if message.from_user else None
    try:
        added = await watch_service.add(uow, tenant, argument, user_id)
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


@router.message(Command("unwatch"))
async def unwatch(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    watch_service: WatchService,
) -> None:
    """Remove the watch with this number in the /watch list."""
    argument = command_args(message)
    if not argument.isdigit():
        await message.answer(t(lang, "unwatch_usage"))
        return
    if not await sender_may_manage(bot, message):
        await message.answer(t(lang, "watch_admins_only"))
        return
    removed = await watch_service.remove(uow, tenant, number=int(argument))
    if removed is None:
        await message.answer(t(lang, "watch_no_such", number=echo(argument, 12)))
        return
    await message.answer(t(lang, "watch_removed", expression=echo(removed.expression, 200)))


@router.callback_query(UnwatchCallback.filter())
async def unwatch_button(
    query: CallbackQuery,
    callback_data: UnwatchCallback,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    watch_service: WatchService,
) -> None:
    """Remove a watch from the list's button and show the list again."""
    message = query.message
    if not isinstance(message, Message) or not await sender_may_manage(bot, query):
        await query.answer(t(lang, "watch_admins_only"), show_alert=True)
        return
    removed = await watch_service.remove(uow, tenant, watch_id=callback_data.watch_id)
    if removed is None:
        await query.answer(t(lang, "button_inactive"))
        return
    text, markup = watch_list(
        lang, await watch_service.watches(uow, tenant), watch_service.limits.max_watches
    )
    await edit_in_place(message, text, markup)
    await query.answer(
        html_to_text(t(lang, "watch_removed", expression=echo(removed.expression, 100)))[:200]
    )
