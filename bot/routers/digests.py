"""/digest: settings with buttons, schedules, off, now, topics, and the forum topic to post in."""

from __future__ import annotations

from dataclasses import replace

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.digest_views import (
    DigestCallback,
    describe_schedule,
    next_digest,
    render_digest,
    settings_view,
)
from bot.filters import command_args, sender_may_manage
from bot.formatting import echo, escape, html_to_text
from bot.replies import edit_in_place
from bot.texts import t
from bot.topics import HERE, choose_topic
from core.delivery.models import MessageKind
from core.digests.models import DigestSchedule, Frequency
from core.digests.schedule import InvalidSchedule, parse_schedule
from core.digests.service import DigestService
from core.models import Tenant
from core.ports import UnitOfWork

router = Router(name=__name__)

MAX_TOPIC_WORDS = 10
MAX_TOPICS_LENGTH = 200
_OFF = frozenset({"off", "выкл"})
_NOW = frozenset({"now", "сейчас"})


async def _send_now(
    message: Message, uow: UnitOfWork, tenant: Tenant, lang: str, digest_service: DigestService
) -> None:
    schedule = await digest_service.schedule(uow, tenant)
    digest = await digest_service.now(uow, tenant)
    for part in render_digest(lang, digest, schedule.timezone):
        await message.answer(part, disable_web_page_preview=True)


async def _saved(
    message: Message, lang: str, schedule: DigestSchedule, service: DigestService
) -> None:
    if schedule.frequency is Frequency.OFF:
        await message.answer(t(lang, "digest_turned_off"))
        return
    await message.answer(
        t(
            lang,
            "digest_saved",
            schedule=describe_schedule(lang, schedule),
            zone=escape(schedule.timezone),
            next=next_digest(lang, schedule, service.clock()),
        )
    )


@router.message(Command("digest"))
async def digest(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """Show the digest settings, or change them, or send a digest now."""
    words = command_args(message).split()
    current = await digest_service.schedule(uow, tenant)
    if not words:
        text, markup = settings_view(lang, current, digest_service.clock())
        await message.answer(text, reply_markup=markup)
        return
    action = words[0].lower()
    if action in _NOW:
        await _send_now(message, uow, tenant, lang, digest_service)
        return
    if action in HERE:
        await choose_topic(message, bot, uow, tenant, lang, MessageKind.DIGEST.value)
        return
    if not await sender_may_manage(bot, message):
        await message.answer(t(lang, "digest_admins_only"))
        return
    if action in _OFF:
        await _saved(
            message,
            lang,
            await digest_service.save(uow, tenant, replace(current, frequency=Frequency.OFF)),
            digest_service,
        )
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
    await _saved(message, lang, await digest_service.save(uow, tenant, schedule), digest_service)


@router.callback_query(DigestCallback.filter())
async def digest_button(
    query: CallbackQuery,
    callback_data: DigestCallback,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    digest_service: DigestService,
) -> None:
    """The /digest buttons: daily or weekly at 09:00 in the chat's zone, off, or a digest now."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t(lang, "button_inactive"))
        return
    current = await digest_service.schedule(uow, tenant)
    if callback_data.action == "now":
        await query.answer()
        await _send_now(message, uow, tenant, lang, digest_service)
        return
    if not await sender_may_manage(bot, query):
        await query.answer(t(lang, "digest_admins_only"), show_alert=True)
        return
    frequency = {"daily": Frequency.DAILY, "weekly": Frequency.WEEKLY}.get(
        callback_data.action, Frequency.OFF
    )
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
