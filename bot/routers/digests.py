"""/digest: settings with buttons, schedules, off, now, topics, and the forum topic to post in."""

from __future__ import annotations

from dataclasses import replace

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import FirstArgument, HasArgs, command_args, managed_router, managers_only
from bot.formatting import echo, escape, html_to_text
from bot.replies import edit_in_place
from bot.texts import t
from bot.topics import HERE, TopicsUnitOfWork, choose_topic
from bot.views.digests import (
    DigestCallback,
    describe_schedule,
    next_digest,
    render_digest,
    settings_view,
)
from core.delivery.models import MessageKind
from core.digests.models import DigestSchedule, Frequency
from core.digests.ports import DigestsUnitOfWork
from core.digests.schedule import InvalidSchedule, parse_schedule
from core.digests.service import DigestService
from core.models import Tenant

MAX_TOPIC_WORDS = 10
MAX_TOPICS_LENGTH = 200
_OFF = frozenset({"off", "выкл"})
_NOW = frozenset({"now", "сейчас"})


async def _send_now(
    message: Message, uow: DigestsUnitOfWork, tenant: Tenant, lang: str, service: DigestService
) -> None:
    schedule = await service.schedule(uow, tenant)
    digest = await service.now(uow, tenant)
    for part in render_digest(lang, digest, schedule.timezone):
        await message.answer(part, disable_web_page_preview=True)


async def _saved(message: Message, lang: str, schedule: DigestSchedule, now_text: str) -> None:
    if schedule.frequency is Frequency.OFF:
        await message.answer(t(lang, "digest_turned_off"))
        return
    await message.answer(
        t(
            lang,
            "digest_saved",
            schedule=describe_schedule(lang, schedule),
            zone=escape(schedule.timezone),
            next=now_text,
        )
    )


async def show_settings(
    message: Message,
    uow: DigestsUnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """`/digest` alone: the chat's settings with buttons."""
    current = await digest_service.schedule(uow, tenant)
    text, markup = settings_view(lang, current, digest_service.clock())
    await message.answer(text, reply_markup=markup)


async def digest_now(
    message: Message,
    uow: DigestsUnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """`/digest now`: a digest since the last one (or the last 24 hours), at once."""
    await _send_now(message, uow, tenant, lang, digest_service)


async def digest_here(message: Message, uow: TopicsUnitOfWork, tenant: Tenant, lang: str) -> None:
    """`/digest here` in a forum topic: digests go to that topic."""
    await choose_topic(message, uow, tenant, lang, MessageKind.DIGEST.value)


async def change_digest(
    message: Message,
    uow: DigestsUnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """`/digest daily|weekly …`, `/digest off`, `/digest topics …`: change the settings."""
    words = command_args(message).split()
    action = words[0].lower()
    current = await digest_service.schedule(uow, tenant)
    if action in _OFF:
        saved = await digest_service.save(uow, tenant, replace(current, frequency=Frequency.OFF))
        await _saved(message, lang, saved, "")
        return
    if action == "topics":
        topics = words[1:]
        if len(topics) > MAX_TOPIC_WORDS or len(" ".join(topics)) > MAX_TOPICS_LENGTH:
            await message.answer(
                t(lang, "digest_topics_too_long", limit=MAX_TOPIC_WORDS, length=MAX_TOPICS_LENGTH)
            )
            return
        await digest_service.save(uow, tenant, replace(current, topics=tuple(topics)))
        if topics:
            await message.answer(t(lang, "digest_topics_set", topics=escape(", ".join(topics))))
        else:
            await message.answer(t(lang, "digest_topics_cleared"))
        return
    try:
        schedule = parse_schedule([action, *words[1:]], current)
    except InvalidSchedule as refused:
        await message.answer(t(lang, refused.reason, value=echo(refused.value)))
        return
    saved = await digest_service.save(uow, tenant, schedule)
    await _saved(message, lang, saved, next_digest(lang, saved, digest_service.clock()))


async def now_button(
    query: CallbackQuery,
    uow: DigestsUnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """The settings' "now" button: a digest at once."""
    await query.answer()
    if isinstance(query.message, Message):
        await _send_now(query.message, uow, tenant, lang, digest_service)


async def schedule_button(
    query: CallbackQuery,
    callback_data: DigestCallback,
    uow: DigestsUnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """The settings' buttons: daily or weekly at 09:00 in the chat's zone, or off."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t(lang, "button_inactive"))
        return
    current = await digest_service.schedule(uow, tenant)
    frequencies = {"daily": Frequency.DAILY, "weekly": Frequency.WEEKLY}
    frequency = frequencies.get(callback_data.action, Frequency.OFF)
    schedule = replace(
        current,
        frequency=frequency,
        minute_of_day=9 * 60,
        weekday=0 if frequency is Frequency.WEEKLY else None,
    )
    saved = await digest_service.save(uow, tenant, schedule)
    text, markup = settings_view(lang, saved, digest_service.clock())
    await edit_in_place(message, text, markup)
    await query.answer(html_to_text(describe_schedule(lang, saved))[:200])


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = managed_router(__name__)
    managers = managers_only("digest_admins_only")
    router.message.register(digest_now, Command("digest"), FirstArgument(_NOW))
    router.message.register(digest_here, Command("digest"), FirstArgument(HERE), flags=managers)
    router.message.register(change_digest, Command("digest"), HasArgs(), flags=managers)
    router.message.register(show_settings, Command("digest"))
    router.callback_query.register(now_button, DigestCallback.filter(F.action == "now"))
    router.callback_query.register(schedule_button, DigestCallback.filter(), flags=managers)
    return router
