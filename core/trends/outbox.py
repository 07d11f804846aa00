"""The alert outbox as a broadcaster sees it: claim a batch, then record each outcome.

Every alert is a row written as pending before anything is sent. A broadcaster claims rows
under a lease, sends, and marks each one sent (or failed, or due again later) in its own
transaction, naming its claim, so a row is only ever recorded by the claim that owns it.
After a crash, the rows it held become claimable again when their lease ends; sent rows are
never claimed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import structlog

from core.clock import utc_now
from core.ports import UnitOfWorkFactory
from core.trends.models import AlertToSend
from core.trends.ports import OutboxUnitOfWork

log = structlog.get_logger(__name__)


class AlertOutbox:
    """Claims and records trend alerts through short units of work."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[OutboxUnitOfWork],
        *,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self.lease = lease
        self.max_attempts = max_attempts
        self.clock = clock

    async def claim(self, token: str, limit: int) -> tuple[list[AlertToSend], datetime]:
        """Due alerts for this claim, and when the claim's lease ends."""
        now = self.clock()
        until = now + self.lease
        async with self._uow_factory() as uow:
            alerts = await uow.trend_alerts.claim(token, now, until, limit)
            await uow.commit()
        return alerts, until

    async def release(self, token: str, alert_ids: Sequence[int]) -> None:
        """Hand unsent alerts back at once (a clean stop)."""
        async with self._uow_factory() as uow:
            await uow.trend_alerts.release(token, alert_ids)
            await uow.commit()

    async def sent(self, alert: AlertToSend, token: str, message_id: int | None) -> None:
        """Record that the alert reached its chat."""
        async with self._uow_factory() as uow:
            recorded = await uow.trend_alerts.mark_sent(
                alert.alert_id, token, message_id, self.clock()
            )
            await uow.commit()
        if not recorded:
            log.warning("trend_alert_claim_lost", alert_id=alert.alert_id)

    async def failed(self, alert: AlertToSend, token: str, error: str) -> None:
        """Give up on the alert."""
        async with self._uow_factory() as uow:
            await uow.trend_alerts.mark_failed(alert.alert_id, token, error)
            await uow.commit()

    async def blocked(self, alert: AlertToSend, token: str, error: str) -> None:
        """The chat blocked the bot (or removed it): give up and turn its alerts off."""
        async with self._uow_factory() as uow:
            await uow.trend_alerts.mark_failed(alert.alert_id, token, error)
            await uow.tenants.set_alerts(alert.tenant_id, False)
            await uow.tenants.set_active(alert.chat_id, False)  # its channels stop polling
            await uow.commit()
        log.info("trend_alerts_disabled_blocked", tenant_id=alert.tenant_id)

    async def retry_later(
        self, alert: AlertToSend, token: str, error: str, delay: timedelta
    ) -> None:
        """Due again after `delay` (failed once its attempts are used up)."""
        async with self._uow_factory() as uow:
            await uow.trend_alerts.retry_later(
                alert.alert_id, token, error, self.clock() + delay, self.max_attempts
            )
            await uow.commit()

    async def migrated(self, alert: AlertToSend, new_chat_id: int) -> bool:
        """The group became a supergroup: the tenant and its alerts move to the new id.

        False when this alert stayed behind: the new chat already has the same trend's alert.
        """
        async with self._uow_factory() as uow:
            await uow.tenants.move_chat(alert.chat_id, new_chat_id)
            moved = await uow.trend_alerts.move_chat(alert.chat_id, new_chat_id)
            await uow.commit()
        log.info("chat_migrated", old_chat_id=alert.chat_id, new_chat_id=new_chat_id)
        return alert.alert_id in moved

    async def counts(self) -> dict[str, int]:
        """Alerts per state."""
        async with self._uow_factory() as uow:
            return await uow.trend_alerts.counts()
