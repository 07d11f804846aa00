"""Views of /quota: the usage table and one chat's usage, limit by limit."""

from __future__ import annotations

from bot.formatting import escape, short_date
from bot.texts import t
from core.quotas.models import ContentType
from core.quotas.report import TenantQuotaReport, format_table, human_bytes

_STORAGE_TYPES = (ContentType.MEDIA, ContentType.VISION, ContentType.INDEX, ContentType.POSTS)


def quota_table(reports: list[TenantQuotaReport]) -> str:
    """The usage table, monospace and escaped, inside <pre>."""
    return "<pre>" + escape(format_table(reports)) + "</pre>"


def quota_detail(lang: str, report: TenantQuotaReport) -> str:
    """One tenant's usage, limit by limit."""
    unlimited = t(lang, "quota_unlimited")

    def against(used: str, limit: int, shown: str | None = None) -> str:
        return f"{used} / {shown or f'{limit:,}'}" if limit > 0 else f"{used} / {unlimited}"

    storage_lines = "\n".join(
        f"  • {kind.value}: {human_bytes(report.storage[kind].bytes)} ({report.storage[kind].objects:,})"
        for kind in _STORAGE_TYPES
        if kind in report.storage
    )
    reached = (
        t(lang, "quota_reached", limits=", ".join(report.at_limit))
        if report.at_limit
        else t(lang, "quota_ok")
    )
    return t(
        lang,
        "quota_detail",
        chat=report.chat_id,
        title=escape(report.title or ""),
        channels=against(str(report.channels), report.channel_limit),
        posts=f"{report.posts:,}",
        vectors="?" if report.vectors is None else f"{report.vectors:,}",
        storage=against(
            human_bytes(report.storage_bytes),
            report.storage_limit,
            human_bytes(report.storage_limit),
        ),
        storage_lines=storage_lines,
        tokens=against(
            f"{report.tokens.used:,}"
            + (f" (+{report.tokens.reserved:,})" if report.tokens.reserved else ""),
            report.tokens.limit,
        ),
        questions=against(str(report.questions_today), report.question_limit),
        resets=short_date(report.resets_at),
        measured=short_date(report.measured_at) if report.measured_at else t(lang, "quota_never"),
        reached=reached,
    )
