"""Digest schedules: parsing `/digest daily 09:00 Europe/Moscow`, and the slots they fall on."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.digests.models import DigestSchedule, Frequency
from core.errors import CoreError

WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
}  # fmt: skip
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


class InvalidSchedule(CoreError):
    """A schedule that cannot be used; `reason` names the text key, `value` what was wrong."""

    def __init__(self, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


def zone(name: str) -> ZoneInfo:
    """An IANA time zone by name, or InvalidSchedule."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidSchedule("digest_bad_zone", name) from None


def parse_schedule(words: list[str], current: DigestSchedule) -> DigestSchedule:
    """`daily HH:MM [Zone]` or `weekly DAY HH:MM [Zone]`; the zone defaults to the current one."""
    if not words or words[0] not in (Frequency.DAILY, Frequency.WEEKLY):
        raise InvalidSchedule("digest_usage")
    frequency = Frequency(words[0])
    rest = words[1:]
    weekday = None
    if frequency is Frequency.WEEKLY:
        key = rest[0].lower() if rest else ""
        weekday = WEEKDAYS.get(key, WEEKDAYS.get(key[:3]))
        if weekday is None:
            raise InvalidSchedule("digest_bad_day", rest[0] if rest else "")
        rest = rest[1:]
    if not rest:
        raise InvalidSchedule("digest_bad_time", "")
    found = _TIME.match(rest[0])
    if found is None:
        raise InvalidSchedule("digest_bad_time", rest[0])
    if len(rest) > 2:
        raise InvalidSchedule("digest_usage")
    timezone = rest[1] if len(rest) == 2 else current.timezone
    zone(timezone)
    return DigestSchedule(
        frequency=frequency,
        minute_of_day=int(found.group(1)) * 60 + int(found.group(2)),
        weekday=weekday,
        timezone=timezone,
        topics=current.topics,
        covered_until=current.covered_until,
    )


def period_length(schedule: DigestSchedule) -> timedelta:
    """A day or a week."""
    return timedelta(days=7) if schedule.frequency is Frequency.WEEKLY else timedelta(days=1)


def latest_slot(schedule: DigestSchedule, now: datetime) -> datetime | None:
    """The latest scheduled moment at or before `now` (None when digests are off)."""
    if schedule.frequency is Frequency.OFF:
        return None
    tz = zone(schedule.timezone)
    local = now.astimezone(tz)
    at = time(schedule.minute_of_day // 60, schedule.minute_of_day % 60)
    day = local.date()
    if schedule.frequency is Frequency.WEEKLY and schedule.weekday is not None:
        day -= timedelta(days=(day.weekday() - schedule.weekday) % 7)
    slot = datetime.combine(day, at, tzinfo=tz)
    if slot > local:
        slot = datetime.combine(day - period_length(schedule), at, tzinfo=tz)
    return slot.astimezone(now.tzinfo)


def next_slot(schedule: DigestSchedule, now: datetime) -> datetime | None:
    """The next scheduled moment after `now`."""
    latest = latest_slot(schedule, now)
    if latest is None:
        return None
    tz = zone(schedule.timezone)
    local = latest.astimezone(tz)
    following = datetime.combine(local.date() + period_length(schedule), local.time(), tzinfo=tz)
    return following.astimezone(now.tzinfo)
