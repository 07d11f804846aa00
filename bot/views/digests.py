"""How digests look in Telegram: the digest itself, and the /digest settings with buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.formatting import escape, link, pack_blocks
from bot.texts import t
from core.digests.models import Digest, DigestSchedule, DigestSource, DigestStory, Frequency
from core.digests.schedule import next_slot, zone


class DigestCallback(CallbackData, prefix="digest"):
    """A button of the /digest settings: daily, weekly, off, now."""

    action: str


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")


def _sources(sources: list[DigestSource]) -> str:
    return " · ".join(
        f"[{number}] "
        + (link(source.url, source.channel) if source.url else escape(source.channel))
        for number, source in enumerate(sources, start=1)
    )


def _story(lang: str, number: int, story: DigestStory) -> str:
    values = {
        "number": number,
        "headline": escape(story.headline),
        "sources": _sources(story.sources),
    }
    if story.alerted:
        return t(lang, "digest_story_alerted", **values)
    return t(lang, "digest_story", summary=escape(story.summary), **values)


def render_digest(lang: str, digest: Digest, timezone: str) -> list[str]:
    """The digest as messages, split between stories, never inside one."""
    header = t(
        lang,
        "digest_header",
        start=_local(digest.period_from, timezone),
        end=_local(digest.period_to, timezone),
        zone=escape(timezone),
    )
    if digest.topics:
        header += "\n" + t(lang, "digest_topics_line", topics=escape(", ".join(digest.topics)))
    blocks = [header]
    blocks += [_story(lang, n, story) for n, story in enumerate(digest.stories, start=1)]
    if not digest.stories:
        blocks.append(t(lang, "digest_empty"))
    return pack_blocks(blocks)


def describe_schedule(lang: str, schedule: DigestSchedule) -> str:
    """ "daily at 09:00", "weekly on Mon at 09:00" or "off"."""
    clock = f"{schedule.minute_of_day // 60:02d}:{schedule.minute_of_day % 60:02d}"
    if schedule.frequency is Frequency.DAILY:
        return t(lang, "digest_schedule_daily", time=clock)
    if schedule.frequency is Frequency.WEEKLY and schedule.weekday is not None:
        day = t(lang, "digest_weekdays").split()[schedule.weekday]
        return t(lang, "digest_schedule_weekly", day=day, time=clock)
    return t(lang, "digest_schedule_off")


def next_digest(lang: str, schedule: DigestSchedule, now: datetime) -> str:
    """When the next digest comes, in the chat's zone."""
    upcoming = next_slot(schedule, now)
    if upcoming is None:
        return t(lang, "digest_next_none")
    return f"{_local(upcoming, schedule.timezone)} ({escape(schedule.timezone)})"


def settings_view(
    lang: str, schedule: DigestSchedule, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The chat's digest settings and buttons to change them."""
    text = t(
        lang,
        "digest_settings",
        schedule=describe_schedule(lang, schedule),
        zone=escape(schedule.timezone),
        topics=escape(", ".join(schedule.topics)) or t(lang, "digest_topics_all"),
        next=next_digest(lang, schedule, now),
    )
    builder = InlineKeyboardBuilder()
    for action in ("daily", "weekly", "off", "now"):
        builder.button(
            text=t(lang, f"digest_button_{action}"), callback_data=DigestCallback(action=action)
        )
    builder.adjust(2)
    return text, builder.as_markup()
