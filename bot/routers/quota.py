"""/quota for the bot's administrators: every chat's usage against its limits, or one chat's."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import IsAdmin, command_args
from bot.formatting import escape, short_date
from bot.replies import answer_long
from bot.texts import t
from core.quotas.models import ContentType
from core.quotas.report import QuotaReportService, TenantQuotaReport, format_table, human_bytes

router = Router(name=__name__)

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


@router.message(Command("quota"), IsAdmin())
async def quota(message: Message, lang: str, quota_report: QuotaReportService) -> None:
    """Admins: the table of every chat, or `/quota CHAT_ID` for one chat in detail."""
    argument = command_args(message)
    if argument:
        try:
            chat_id = int(argument)
        except ValueError:
            chat_id = 0
        if not 0 < abs(chat_id) < 2**63:  # Telegram chat ids fit in 64 bits
            await message.answer(t(lang, "quota_usage"))
            return
        report = await quota_report.tenant_by_chat(chat_id)
        if report is None:
            await message.answer(t(lang, "quota_unknown_chat", chat=chat_id))
            return
        await answer_long(message, quota_detail(lang, report))
        return
    reports = await quota_report.tenants()
    if not reports:
        await message.answer(t(lang, "quota_empty"))
        return
    measured = [report.measured_at for report in reports if report.measured_at]
    parts = [
        t(lang, "quota_header", count=len(reports), resets=short_date(reports[0].resets_at)),
        quota_table(reports),
        t(
            lang,
            "quota_legend",
            measured=short_date(max(measured)) if measured else t(lang, "quota_never"),
        ),
    ]
    await answer_long(message, "\n".join(parts))


@router.message(Command("quota"))
async def quota_refused(message: Message, lang: str) -> None:
    """Anyone else: a refusal that says nothing about chats, limits or who may use it."""
    await message.answer(t(lang, "quota_refused"))
