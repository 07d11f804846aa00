"""Views of /dlq: pages of entries, one entry, the purge prompt, and their buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import escape, short_date
from bot.texts import t
from core.dlq.models import DeadLetter, EntryPage, StreamInfo, job_of
from core.dlq.service import DeadLetterService

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


def overview_view(lang: str, streams: list[StreamInfo]) -> tuple[str, InlineKeyboardMarkup]:
    """Every stream with its length, and a button opening each non-empty one."""
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
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)
