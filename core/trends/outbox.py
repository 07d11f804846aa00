"""The trend-alert outbox: the shared outbox over the `trend_alerts` rows.

A chat that blocked the bot gets its trend alerts turned off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.delivery.outbox import Outbox, utcnow
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.trends.models import AlertToSend


async def _alerts_off(uow: UnitOfWork, alert: AlertToSend) -> None:
    await uow.tenants.set_alerts(alert.tenant_id, False)


class AlertOutbox(Outbox[AlertToSend]):
    """Claims and records trend alerts through short units of work."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 5,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(
            uow_factory,
            lambda uow: uow.trend_alerts,
            on_blocked=_alerts_off,
            name="trend_alerts",
            lease=lease,
            max_attempts=max_attempts,
            clock=clock,
        )
