"""/dlq for the bot's administrators: dead-letter streams, pages of entries, show, retry, purge.

Anyone else gets the same short refusal as /quota, with or without arguments, and buttons
pressed by non-admins do nothing but say so.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters import IsAdmin, command_args
from bot.formatting import echo, escape, html_to_text, short_date
from bot.replies import answer_long, edit_in_place
from bot.texts import t
from core.dlq.models import (
    DeadLetter,
    EntryNotFound,
    EntryPage,
    InvalidStream,
    NoRetryHandler,
    job_of,
    parse_stream,
    stream_name,
)
from core.dlq.service import DeadLetterService

router = Router(name=__name__)


PAGE_SIZE = 5
_SUBJECT_FIELDS = (("user_id", "user"), ("tenant_id", "tenant"), ("post_id", "post"))


class DlqPageCallback(CallbackData, prefix="dlqp"):
    """Show a page of a stream (by job name, to stay under 64 bytes)."""

    job: str
    offset: int = 0


class DlqActionCallback(CallbackData, prefix="dlqa"):
    """Retry all, ask to purge, confirm or cancel a purge."""

    action: str  # retry_all / purge / purge_yes / purge_no
    job: str


def _when(moment: datetime | None) -> str:
    return short_date(moment) if moment else "?"


def _subject(entry: DeadLetter) -> str:
    parts = [
        f"{label} {escape(entry.fields[key])}"
        for key, label in _SUBJECT_FIELDS
        if key in entry.fields
    ]
    return ", ".join(parts) or "—"


def _error_line(dlq_service: DeadLetterService, entry: DeadLetter) -> str:
    kind = entry.fields.get("error_type")
    text = dlq_service.error_text(entry, limit=160)
    shown = f"{kind}: {text}" if kind else text
    return f"<i>{escape(shown)}</i>" if shown else ""


def page_view(
    lang: str, dlq_service: DeadLetterService, page: EntryPage
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of entries and its buttons (newer/older, retry all, purge)."""
    job = job_of(page.stream)
    if not page.entries:
        return t(lang, "dlq_page_empty", stream=escape(page.stream)), None
    lines = [
        t(
            lang,
            "dlq_page_header",
            stream=escape(page.stream),
            first=page.offset + 1,
            last=page.offset + len(page.entries),
            total=page.total,
        )
    ]
    for entry in page.entries:
        lines.append(
            t(
                lang,
                "dlq_entry_line",
                id=escape(entry.id),
                when=_when(entry.created_at),
                subject=_subject(entry),
                attempts=entry.attempts,
                error=_error_line(dlq_service, entry),
            )
        )
    navigation = []
    if page.has_newer:
        offset = max(page.offset - page.limit, 0)
        navigation.append(
            InlineKeyboardButton(
                text=t(lang, "dlq_newer"),
                callback_data=DlqPageCallback(job=job, offset=offset).pack(),
            )
        )
    if page.has_older:
        navigation.append(
            InlineKeyboardButton(
                text=t(lang, "dlq_older"),
                callback_data=DlqPageCallback(job=job, offset=page.offset + page.limit).pack(),
            )
        )
    actions = []
    if page.stream in dlq_service.retryable_streams:
        actions.append(
            InlineKeyboardButton(
                text=t(lang, "dlq_retry_all_button"),
                callback_data=DlqActionCallback(action="retry_all", job=job).pack(),
            )
        )
    actions.append(
        InlineKeyboardButton(
            text=t(lang, "dlq_purge_button"),
            callback_data=DlqActionCallback(action="purge", job=job).pack(),
        )
    )
    rows = [row for row in (navigation, actions) if row]
    return "\n\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def entry_view(lang: str, dlq_service: DeadLetterService, entry: DeadLetter) -> str:
    """Every field of one entry, errors truncated and secrets masked."""
    lines = [
        t(
            lang,
            "dlq_entry_header",
            id=escape(entry.id),
            stream=escape(entry.stream),
            when=_when(entry.created_at),
        )
    ]
    for key, value in dlq_service.shown_fields(entry).items():
        lines.append(f"<b>{escape(key)}</b>: {escape(value)}")
    return "\n".join(lines)


def purge_prompt(lang: str, stream: str, length: int) -> tuple[str, InlineKeyboardMarkup]:
    """The confirmation question with its two buttons."""
    job = job_of(stream)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "dlq_purge_yes"),
                    callback_data=DlqActionCallback(action="purge_yes", job=job).pack(),
                ),
                InlineKeyboardButton(
                    text=t(lang, "dlq_purge_no"),
                    callback_data=DlqActionCallback(action="purge_no", job=job).pack(),
                ),
            ]
        ]
    )
    return t(lang, "dlq_purge_confirm", stream=escape(stream), length=length), keyboard


async def _overview(message: Message, lang: str, dlq_service: DeadLetterService) -> None:
    streams = await dlq_service.overview()
    if not any(info.length for info in streams):
        await message.answer(t(lang, "dlq_overview_empty") + "\n\n" + t(lang, "dlq_usage"))
        return
    lines = [t(lang, "dlq_overview_header")]
    lines += [
        t(lang, "dlq_overview_line", stream=escape(info.stream), length=info.length)
        for info in streams
    ]
    lines += ["", t(lang, "dlq_usage")]
    buttons = [
        [
            InlineKeyboardButton(
                text=t(lang, "dlq_open_button", job=job_of(info.stream), length=info.length),
                callback_data=DlqPageCallback(job=job_of(info.stream)).pack(),
            )
        ]
        for info in streams
        if info.length and len(job_of(info.stream)) <= 40
    ]
    await answer_long(
        message, "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


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


@router.message(Command("dlq"), IsAdmin())
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


@router.message(Command("dlq"))
async def dlq_refused(message: Message, lang: str) -> None:
    """Anyone else: a refusal that says nothing about streams, entries or who may use it."""
    await message.answer(t(lang, "dlq_refused"))


@router.callback_query(DlqPageCallback.filter(), IsAdmin())
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


@router.callback_query(DlqActionCallback.filter(), IsAdmin())
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


@router.callback_query(F.data.startswith("dlq"))
async def button_refused(query: CallbackQuery, lang: str) -> None:
    """A non-admin pressed a DLQ button (e.g. in a forwarded message): nothing happens."""
    await query.answer(t(lang, "dlq_refused"), show_alert=True)
