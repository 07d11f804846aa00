"""The trend-alert outbox: the shared outbox over the `trend_alerts` rows.

A chat that blocked the bot gets its trend alerts turned off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.clock import utc_now
from core.delivery.outbox import Outbox
from core.ports import UnitOfWorkFactory
from core.trends.models import AlertToSend
from core.trends.ports import OutboxUnitOfWork, TrendAlertRepository


async def _alerts_off(uow: OutboxUnitOfWork, alert: AlertToSend) -> None:
    await uow.tenants.set_alerts(alert.tenant_id, False)


def _alerts(uow: OutboxUnitOfWork) -> TrendAlertRepository:
    return uow.trend_alerts


class AlertOutbox(Outbox[AlertToSend, OutboxUnitOfWork]):
    """Claims and records trend alerts through short units of work."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[OutboxUnitOfWork],
        *,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(
            uow_factory,
            _alerts,
            on_blocked=_alerts_off,
            name="trend_alerts",
            lease=lease,
            max_attempts=max_attempts,
            clock=clock,
        )
