"""/trends, /alerts on|off, and the buttons under trend alerts (mute this trend, alerts off)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from app.settings import Settings
from bot.filters import command_args, may_manage_chat
from bot.formatting import escape
from bot.replies import answer_long
from bot.texts import t
from bot.views.trends import (
    AlertsOffCallback,
    TrendMuteCallback,
    alerts_status,
    quiet_trends,
    trends_list,
)
from core.models import Tenant
from core.ports import UnitOfWork
from core.trends.service import TrendService

router = Router(name=__name__)

_SWITCH = {"on": True, "off": False, "вкл": True, "выкл": False}


@router.message(Command("trends"))
async def show_trends(
    message: Message,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
    settings: Settings,
) -> None:
    """List the chat's current trends with links, or say why there are none."""
    current = await trend_service.current(uow, tenant)
    if not current:
        diagnosis = await trend_service.diagnose(uow, tenant)
        await message.answer(quiet_trends(lang, diagnosis, settings.trends_interval_minutes))
        return
    await answer_long(message, trends_list(lang, current))


@router.message(Command("alerts"))
async def switch_alerts(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
    settings: Settings,
) -> None:
    """Show this chat's trend alerts (on or off, last check, what is missing), or switch them."""
    argument = command_args(message).lower()
    if not argument:
        diagnosis = await trend_service.diagnose(uow, tenant)
        await message.answer(
            alerts_status(lang, tenant.alerts_enabled, diagnosis, settings.trends_interval_minutes)
        )
        return
    if argument not in _SWITCH:
        await message.answer(t(lang, "alerts_usage"))
        return
    user_id = message.from_user.id if message.from_user else None
    if not await may_manage_chat(bot, message.chat.id, message.chat.type, user_id):
        await message.answer(t(lang, "alerts_admins_only"))
        return
    enabled = _SWITCH[argument]
    await trend_service.set_alerts(uow, tenant, enabled)
    await message.answer(t(lang, "alerts_turned_on" if enabled else "alerts_turned_off"))


async def _may_change(bot: Bot, query: CallbackQuery) -> bool:
    message = query.message
    return message is not None and await may_manage_chat(
        bot, message.chat.id, message.chat.type, query.from_user.id
    )


@router.callback_query(TrendMuteCallback.filter())
async def mute_trend(
    query: CallbackQuery,
    callback_data: TrendMuteCallback,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
) -> None:
    """Mute the trend whose alert carried the button."""
    if not await _may_change(bot, query):
        await query.answer(t(lang, "alerts_admins_only"), show_alert=True)
        return
    trend = await trend_service.mute(uow, tenant, callback_data.key, query.from_user.id)
    if trend is None:
        await query.answer(t(lang, "trend_gone"))
        return
    await query.answer(t(lang, "trend_muted", label=escape(trend.label))[:200])


@router.callback_query(AlertsOffCallback.filter())
async def alerts_off_button(
    query: CallbackQuery,
    bot: Bot,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
) -> None:
    """Turn the chat's trend alerts off from an alert's button."""
    if not await _may_change(bot, query):
        await query.answer(t(lang, "alerts_admins_only"), show_alert=True)
        return
    await trend_service.set_alerts(uow, tenant, False)
    await query.answer(t(lang, "alerts_turned_off")[:200])
