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
from bot.topics import HERE, choose_topic
from bot.trend_views import AlertsOffCallback, TrendMuteCallback, near_miss_view, trends_list
from core.models import Tenant
from core.ports import UnitOfWork
from core.trends.service import TrendService, utcnow

router = Router(name=__name__)

_SWITCH = {"on": True, "off": False, "вкл": True, "выкл": False}
_WHY = frozenset({"why", "почему"})


async def _why(
    uow: UnitOfWork, tenant: Tenant, lang: str, trend_service: TrendService, settings: Settings
) -> str:
    """The /alerts why view of the chat's latest trend check."""
    report = await trend_service.near_misses(uow, tenant)
    params = trend_service.detector.params
    if report is None:
        minutes = f"{settings.trends_interval_minutes:g}"
        return t(lang, "alerts_why_never", minutes=minutes, channels=params.min_channels)
    policy = trend_service.policy
    return near_miss_view(
        lang,
        report,
        alerts_on=tenant.alerts_enabled,
        now=utcnow(),
        threshold=policy.min_score,
        min_channels=params.min_channels,
        max_per_run=policy.max_per_run,
    )


@router.message(Command("trends"))
async def show_trends(
    message: Message,
    uow: UnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
    settings: Settings,
) -> None:
    """List the chat's current trends with links."""
    current = await trend_service.current(uow, tenant)
    if not current:
        minutes = f"{settings.trends_interval_minutes:g}"
        await message.answer(t(lang, "trends_none", minutes=minutes))
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
    """Show, or turn on or off, this chat's trend alerts; `why` explains the latest check,
    `here` (in a forum topic) sends alerts to that topic."""
    argument = command_args(message).lower()
    if not argument:
        await message.answer(
            t(lang, "alerts_state_on" if tenant.alerts_enabled else "alerts_state_off")
        )
        return
    if argument in _WHY:
        await message.answer(await _why(uow, tenant, lang, trend_service, settings))
        return
    if argument in HERE:
        await choose_topic(message, bot, uow, tenant, lang, "alerts")
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
