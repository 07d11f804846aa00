"""Views of /quota: the usage table and one chat's usage, limit by limit, in the reader's
language with counted nouns ("1 канал из 50", "5 постов")."""

from __future__ import annotations

from bot.formatting import escape, short_date
from bot.texts import t
from core.quotas.models import ContentType
from core.quotas.report import TenantQuotaReport, format_table, human_bytes

_STORAGE_TYPES = (ContentType.MEDIA, ContentType.VISION, ContentType.INDEX, ContentType.POSTS)


def quota_table(lang: str, reports: list[TenantQuotaReport]) -> str:
    """The usage table with its column names in `lang`, monospace and escaped, inside <pre>."""
    headers = t(lang, "quota_columns").split()
    return "<pre>" + escape(format_table(reports, headers)) + "</pre>"


def _count(lang: str, key: str, count: int) -> str:
    """ "5 posts" / "5 постов": a number with its noun in the right form."""
    return t(lang, key, n=f"{count:,}")


def _against(lang: str, used: str, limit: int, shown_limit: str | None = None) -> str:
    """ "3 channels of 50", or "3 channels, unlimited" when there is no limit (0)."""
    if limit > 0:
        return t(lang, "quota_of", used=used, limit=shown_limit or f"{limit:,}")
    return t(lang, "quota_no_limit", used=used)


def quota_detail(lang: str, report: TenantQuotaReport) -> str:
    """One tenant's usage, limit by limit."""
    storage_lines = "\n".join(
        f"  • {t(lang, f'quota_type_{kind.value}')}: {human_bytes(report.storage[kind].bytes)}"
        f" ({_count(lang, 'quota_n_items', report.storage[kind].objects)})"
        for kind in _STORAGE_TYPES
        if kind in report.storage
    )
    reached = (
        t(
            lang,
            "quota_reached",
            limits=", ".join(t(lang, f"quota_kind_{kind}") for kind in report.at_limit),
        )
        if report.at_limit
        else t(lang, "quota_ok")
    )
    tokens = _count(lang, "quota_n_tokens", report.tokens.used)
    if report.tokens.reserved:
        tokens += " (" + t(lang, "quota_n_reserved", n=f"{report.tokens.reserved:,}") + ")"
    vectors = (
        t(lang, "quota_vectors_unknown")
        if report.vectors is None
        else _count(lang, "quota_n_vectors", report.vectors)
    )
    return t(
        lang,
        "quota_detail",
        chat=report.chat_id,
        title=escape(report.title or ""),
        channels=_against(
            lang, _count(lang, "quota_n_channels", report.channels), report.channel_limit
        ),
        posts=_count(lang, "quota_n_posts", report.posts),
        vectors=vectors,
        storage=_against(
            lang,
            human_bytes(report.storage_bytes),
            report.storage_limit,
            human_bytes(report.storage_limit),
        ),
        storage_lines=storage_lines,
        tokens=_against(lang, tokens, report.tokens.limit),
        questions=_against(
            lang, _count(lang, "quota_n_questions", report.questions_today), report.question_limit
        ),
        resets=short_date(report.resets_at),
        measured=short_date(report.measured_at) if report.measured_at else t(lang, "quota_never"),
        reached=reached,
    )
