"""/quota for the bot's administrators: every chat's usage against its limits, or one chat's."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import admin_router, command_args
from bot.formatting import short_date
from bot.middlewares.private_replies import RepliesInPrivate
from bot.replies import answer_long
from bot.texts import t
from bot.views.quota import quota_detail, quota_table
from core.quotas.report import QuotaReportService


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
        quota_table(lang, reports),
        t(
            lang,
            "quota_legend",
            measured=short_date(max(measured)) if measured else t(lang, "quota_never"),
        ),
    ]
    await answer_long(message, "\n".join(parts))


async def quota_refused(message: Message, lang: str) -> None:
    """Anyone else: a refusal that says nothing about chats, limits or who may use it."""
    await message.answer(t(lang, "quota_refused"))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    admin = admin_router(f"{__name__}.admin")
    admin.message.register(quota, Command("quota"))
    admin.message.middleware(RepliesInPrivate())  # admin output never goes into a group
    refusals = Router(name=f"{__name__}.refusals")  # what the admin filter let through
    refusals.message.register(quota_refused, Command("quota"))
    router = Router(name=__name__)
    router.include_routers(admin, refusals)
    return router
