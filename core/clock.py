"""The one clock of the core: timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a moment."""
    return moment.astimezone(UTC).date()


def next_utc_midnight(moment: datetime) -> datetime:
    """When the UTC day of `moment` ends (daily limits reset then)."""
    return datetime.combine(utc_day(moment) + timedelta(days=1), day_time(0), tzinfo=UTC)
