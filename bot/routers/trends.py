"""/trends, /alerts on|off, and the buttons under trend alerts (mute this trend, alerts off)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message

from bot.filters import FirstArgument, command_args, managed_router, managers_only
from bot.replies import answer_long
from bot.texts import t
from bot.topics import HERE, TopicsUnitOfWork, choose_topic
from bot.views.trends import (
    AlertsOffCallback,
    TrendMuteCallback,
    alerts_status,
    near_miss_view,
    quiet_trends,
    trends_list,
)
from core.clock import utc_now
from core.models import Tenant
from core.trends.ports import TrendsUnitOfWork
from core.trends.service import TrendService

_SWITCH = {"on": True, "off": False, "вкл": True, "выкл": False}
_WHY = frozenset({"why", "почему"})


class AlertSwitch(BaseFilter):
    """`/alerts on|off` (or вкл|выкл): a change of the chat's alerts."""

    async def __call__(self, message: Message) -> bool:
        return command_args(message).lower() in _SWITCH


async def show_trends(
    message: Message,
    uow: TrendsUnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
    trends_interval_minutes: float,
) -> None:
    """List the chat's current trends with links, or say why there are none."""
    current = await trend_service.current(uow, tenant)
    if not current:
        diagnosis = await trend_service.diagnose(uow, tenant)
        await message.answer(quiet_trends(lang, diagnosis, trends_interval_minutes))
        return
    await answer_long(message, trends_list(lang, current))


async def alerts_state(
    message: Message,
    uow: TrendsUnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
    trends_interval_minutes: float,
) -> None:
    """`/alerts` alone: on or off, the last check, and what the chat still needs; anything but
    on|off shows the usage."""
    if command_args(message):
        await message.answer(t(lang, "alerts_usage"))
        return
    diagnosis = await trend_service.diagnose(uow, tenant)
    await message.answer(
        alerts_status(lang, tenant.alerts_enabled, diagnosis, trends_interval_minutes)
    )


async def switch_alerts(
    message: Message, uow: TrendsUnitOfWork, tenant: Tenant, lang: str, trend_service: TrendService
) -> None:
    """Turn this chat's trend alerts on or off."""
    enabled = _SWITCH[command_args(message).lower()]
    await trend_service.set_alerts(uow, tenant, enabled)
    await message.answer(t(lang, "alerts_turned_on" if enabled else "alerts_turned_off"))


async def alerts_why(
    message: Message,
    uow: TrendsUnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
    trends_interval_minutes: float,
) -> None:
    """`/alerts why`: when trends were last checked, and why each close story was not sent."""
    report = await trend_service.near_misses(uow, tenant)
    params = trend_service.detector.params
    if report is None:
        minutes = f"{trends_interval_minutes:g}"
        await message.answer(
            t(lang, "alerts_why_never", minutes=minutes, channels=params.min_channels)
        )
        return
    policy = trend_service.policy
    view = near_miss_view(
        lang,
        report,
        alerts_on=tenant.alerts_enabled,
        now=utc_now(),
        threshold=policy.min_score,
        min_channels=params.min_channels,
        max_per_run=policy.max_per_run,
    )
    await message.answer(view)


async def alerts_here(message: Message, uow: TopicsUnitOfWork, tenant: Tenant, lang: str) -> None:
    """`/alerts here` in a forum topic: trend alerts go to that topic."""
    await choose_topic(message, uow, tenant, lang, "alerts")


async def mute_trend(
    query: CallbackQuery,
    callback_data: TrendMuteCallback,
    uow: TrendsUnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
) -> None:
    """Mute the trend whose alert carried the button."""
    trend = await trend_service.mute(uow, tenant, callback_data.key, query.from_user.id)
    if trend is None:
        await query.answer(t(lang, "trend_gone"))
        return
    # A callback answer is plain text (no HTML), at most 200 characters.
    await query.answer(t(lang, "trend_muted", label=trend.headline or trend.label)[:200])


async def alerts_off_button(
    query: CallbackQuery,
    uow: TrendsUnitOfWork,
    tenant: Tenant,
    lang: str,
    trend_service: TrendService,
) -> None:
    """Turn the chat's trend alerts off from an alert's button."""
    await trend_service.set_alerts(uow, tenant, False)
    await query.answer(t(lang, "alerts_turned_off")[:200])


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = managed_router(__name__)
    alerts_admins = managers_only("alerts_admins_only")
    router.message.register(show_trends, Command("trends"))
    router.message.register(switch_alerts, Command("alerts"), AlertSwitch(), flags=alerts_admins)
    router.message.register(alerts_why, Command("alerts"), FirstArgument(_WHY))
    router.message.register(
        alerts_here, Command("alerts"), FirstArgument(HERE), flags=alerts_admins
    )
    router.message.register(alerts_state, Command("alerts"))
    router.callback_query.register(mute_trend, TrendMuteCallback.filter(), flags=alerts_admins)
    router.callback_query.register(
        alerts_off_button, AlertsOffCallback.filter(), flags=alerts_admins
    )
    return router
