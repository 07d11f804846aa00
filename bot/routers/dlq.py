"""/dlq for the bot's administrators: dead-letter streams, pages of entries, show, retry, purge.

Anyone else gets the same short refusal as /quota, with or without arguments, and buttons
pressed by non-admins do nothing but say so.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import admin_router, command_args
from bot.formatting import echo, escape, html_to_text
from bot.middlewares.private_replies import RepliesInPrivate
from bot.replies import answer_long, edit_in_place
from bot.texts import t
from bot.views.dlq import (
    PAGE_SIZE,
    DlqActionCallback,
    DlqPageCallback,
    entry_view,
    overview_view,
    page_view,
    purge_prompt,
)
from core.dlq.models import (
    EntryNotFound,
    InvalidStream,
    NoRetryHandler,
    parse_stream,
    stream_name,
)
from core.dlq.service import DeadLetterService


async def _overview(message: Message, lang: str, dlq_service: DeadLetterService) -> None:
    streams = await dlq_service.overview()
    if not any(info.length for info in streams):
        await message.answer(t(lang, "dlq_overview_empty") + "\n\n" + t(lang, "dlq_usage"))
        return
    text, keyboard = overview_view(lang, streams)
    await answer_long(message, text, reply_markup=keyboard)


async def _retry_one(
    message: Message, lang: str, dlq_service: DeadLetterService, entry_id: str
) -> None:
    try:
        outcome = await dlq_service.retry(entry_id)
    except EntryNotFound:
        await message.answer(t(lang, "dlq_not_found", id=echo(entry_id)))
        return
    except NoRetryHandler:
        entry = await dlq_service.show(entry_id)
        stream = entry.stream if entry else "?"
        await message.answer(t(lang, "dlq_no_handler", stream=escape(stream)))
        return
    if outcome.ok:
        await message.answer(t(lang, "dlq_retry_ok", id=escape(outcome.entry_id)))
    else:
        await message.answer(
            t(
                lang,
                "dlq_retry_failed",
                id=escape(outcome.entry_id),
                attempts=outcome.attempts,
                error=f"<i>{escape(outcome.error)}</i>",
            )
        )


async def _retry_all(
    message: Message, lang: str, dlq_service: DeadLetterService, stream: str
) -> None:
    try:
        report = await dlq_service.retry_all(stream)
    except NoRetryHandler:
        await message.answer(t(lang, "dlq_no_handler", stream=escape(stream)))
        return
    await message.answer(
        t(
            lang,
            "dlq_retry_all",
            stream=escape(stream),
            retried=report.retried,
            succeeded=report.succeeded,
            failed=report.failed,
        )
    )


async def dlq(message: Message, lang: str, dlq_service: DeadLetterService) -> None:
    """Admins: `/dlq`, `/dlq STREAM`, `/dlq show|retry ID`, `/dlq retry all STREAM`, `/dlq purge STREAM`."""
    words = command_args(message).split()
    if not words:
        await _overview(message, lang, dlq_service)
        return
    verb = words[0].lower()
    try:
        if verb == "show" and len(words) == 2:
            entry = await dlq_service.show(words[1])
            if entry is None:
                await message.answer(t(lang, "dlq_not_found", id=echo(words[1])))
            else:
                await answer_long(message, entry_view(lang, dlq_service, entry))
        elif verb == "retry" and len(words) == 3 and words[1].lower() == "all":
            await _retry_all(message, lang, dlq_service, parse_stream(words[2]))
        elif verb == "retry" and len(words) == 2:
            await _retry_one(message, lang, dlq_service, words[1])
        elif verb == "purge" and len(words) == 2:
            stream = parse_stream(words[1])
            prompt, confirm = purge_prompt(lang, stream, await dlq_service.queue.length(stream))
            await message.answer(prompt, reply_markup=confirm)
        elif len(words) == 1 and verb not in {"show", "retry", "purge"}:
            page = await dlq_service.page(parse_stream(words[0]), limit=PAGE_SIZE)
            text, keyboard = page_view(lang, dlq_service, page)
            await answer_long(message, text, reply_markup=keyboard)
        else:
            await message.answer(t(lang, "dlq_usage"))
    except InvalidStream as error:
        await message.answer(t(lang, "dlq_bad_stream", stream=echo(error)))


async def dlq_refused(message: Message, lang: str) -> None:
    """Anyone else: a refusal that says nothing about streams, entries or who may use it."""
    await message.answer(t(lang, "dlq_refused"))


async def page_button(
    query: CallbackQuery,
    callback_data: DlqPageCallback,
    lang: str,
    dlq_service: DeadLetterService,
) -> None:
    """Show another page in place of the current one."""
    page = await dlq_service.page(
        stream_name(callback_data.job), offset=callback_data.offset, limit=PAGE_SIZE
    )
    text, keyboard = page_view(lang, dlq_service, page)
    await query.answer()
    if isinstance(query.message, Message):
        await edit_in_place(query.message, text, keyboard)


async def action_button(
    query: CallbackQuery,
    callback_data: DlqActionCallback,
    lang: str,
    dlq_service: DeadLetterService,
) -> None:
    """Retry all, ask before purging, purge after the confirmation, or cancel."""
    stream = stream_name(callback_data.job)
    message = query.message if isinstance(query.message, Message) else None
    action = callback_data.action
    if action == "purge":
        text, keyboard = purge_prompt(lang, stream, await dlq_service.queue.length(stream))
        await query.answer()
        if message is not None:
            await message.answer(text, reply_markup=keyboard)
        return
    if action == "purge_yes":
        removed = await dlq_service.purge(stream)
        done = t(lang, "dlq_purged", stream=escape(stream), removed=removed)
        await query.answer(html_to_text(done)[:200])
        if message is not None:
            await edit_in_place(message, done)
        return
    if action == "purge_no":
        await query.answer(t(lang, "cancelled"))
        if message is not None:
            await edit_in_place(message, t(lang, "cancelled"))
        return
    if action == "retry_all":
        await query.answer()
        if message is not None:
            await _retry_all(message, lang, dlq_service, stream)
        return
    await query.answer()


async def button_refused(query: CallbackQuery, lang: str) -> None:
    """A non-admin pressed a DLQ button (e.g. in a forwarded message): nothing happens."""
    await query.answer(t(lang, "dlq_refused"), show_alert=True)


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    admin = admin_router(f"{__name__}.admin")
    admin.message.register(dlq, Command("dlq"))
    admin.message.middleware(RepliesInPrivate())  # admin output never goes into a group
    admin.callback_query.register(page_button, DlqPageCallback.filter())
    admin.callback_query.register(action_button, DlqActionCallback.filter())
    refusals = Router(name=f"{__name__}.refusals")  # what the admin filter let through
    refusals.message.register(dlq_refused, Command("dlq"))
    refusals.callback_query.register(button_refused, F.data.startswith("dlq"))
    router = Router(name=__name__)
    router.include_routers(admin, refusals)
    return router
