"""How trends look in Telegram: the alert message, its buttons, and the /trends list."""

from __future__ import annotations

import re
from dataclasses import replace

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.formatting import escape, link
from bot.texts import t
from core.trends.models import Escalation, Trend, TrendPostRef

_CITATION = re.compile(r"\[(\d{1,2})\]")
RISING = 2.0  # a known story this many times its own recent level is said to rise again
ALERT_POSTS = 5  # representative posts shown in an alert
LIST_POSTS = 3  # ...and per trend in /trends


class TrendMuteCallback(CallbackData, prefix="trmute"):
    """The alert's "mute this trend" button."""

    key: str


class AlertsOffCallback(CallbackData, prefix="troff"):
    """The alert's "alerts off" button."""


def representative(trend: Trend, limit: int) -> list[TrendPostRef]:
    """Up to `limit` posts, one per channel first (earliest), then the rest by date."""
    first_of_channel: dict[int, TrendPostRef] = {}
    for post in trend.posts:
        first_of_channel.setdefault(post.channel_id, post)
    chosen = list(first_of_channel.values())[:limit]
    if len(chosen) < limit:
        taken = {post.post_id for post in chosen}
        chosen += [post for post in trend.posts if post.post_id not in taken][: limit - len(chosen)]
    return sorted(chosen, key=lambda post: post.date)


def _post_lines(lang: str, posts: list[TrendPostRef]) -> str:
    lines = []
    for post in posts:
        name = link(post.url, post.channel_name) if post.url else escape(post.channel_name)
        lines.append(t(lang, "trend_post_line", link=name, snippet=escape(post.snippet)))
    return "\n".join(lines)


def _baseline(value: float) -> str:
    return "0" if value < 0.05 else f"{value:.1f}".rstrip("0").rstrip(".")


def _summary_html(trend: Trend) -> str:
    """The summary, escaped, each citation [n] a link to the post it stands for."""
    sources = trend.summary_sources

    def cite(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if 1 <= number <= len(sources):
            return link(sources[number - 1], f"[{number}]")
        return ""

    return _CITATION.sub(cite, escape(trend.summary or ""))


def _story_lines(lang: str, trend: Trend) -> dict[str, str]:
    """The headline (the label when there is none), actors and summary, HTML-escaped."""
    actors = t(lang, "trend_actors", actors=escape(", ".join(trend.actors))) if trend.actors else ""
    summary = t(lang, "trend_summary", summary=_summary_html(trend)) if trend.summary else ""
    rising = (
        t(lang, "trend_rising", ratio=f"{trend.escalation:.1f}".rstrip("0").rstrip("."))
        if trend.escalation >= RISING
        else ""
    )
    return {
        "headline": escape(trend.headline or trend.label),
        "actors": actors,
        "summary": summary,
        "rising": rising,
    }


def alert_text(
    lang: str, trend: Trend, window_hours: float, escalation: Escalation | None = None
) -> str:
    """The alert: headline, actors, why it is a trend, representative posts as links; for an
    escalation, what is new since the previous alert and the newest posts."""
    values = {
        **_story_lines(lang, trend),
        "mentions": trend.mentions,
        "hours": f"{window_hours:g}",
    }
    if escalation is not None:
        fresh = [post for post in trend.posts if post.date > escalation.since]
        shown = replace(trend, posts=fresh or trend.posts)
        return t(
            lang,
            "trend_escalation",
            **values,
            new_posts=escalation.new_posts,
            new_channels=escalation.new_channels,
            since=f"{escalation.since:%Y-%m-%d %H:%M}",
            posts=_post_lines(lang, representative(shown, ALERT_POSTS)),
        )
    return t(
        lang,
        "trend_alert",
        **values,
        channels=len(trend.channel_ids),
        baseline=_baseline(trend.baseline),
        posts=_post_lines(lang, representative(trend, ALERT_POSTS)),
    )


def alert_keyboard(lang: str, trend: Trend) -> InlineKeyboardMarkup:
    """Mute this trend / alerts off."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t(lang, "trend_mute_button"), callback_data=TrendMuteCallback(key=trend.trend_key)
    )
    builder.button(text=t(lang, "trend_alerts_off_button"), callback_data=AlertsOffCallback())
    builder.adjust(2)
    return builder.as_markup()


def trends_list(lang: str, trends: list[Trend]) -> str:
    """The /trends reply: every current trend with its best links."""
    items = [
        t(
            lang,
            "trends_item",
            number=number,
            mentions=trend.mentions,
            channels=len(trend.channel_ids),
            baseline=_baseline(trend.baseline),
            **_story_lines(lang, trend),
            posts=_post_lines(lang, representative(trend, LIST_POSTS)),
        )
        for number, trend in enumerate(trends, start=1)
    ]
    return "\n\n".join([t(lang, "trends_header"), *items])
