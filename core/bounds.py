"""Bounds on message ids and dates read from outside (t.me pages, Telegram Desktop exports).

A value that parses but is absurd — a date in year 1 with an offset (OverflowError when made
UTC), a Unix time in the year 30000, a message id beyond BIGINT — must be refused as one bad
item, never crash the parser or fail later at insert.
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_MESSAGE_ID = 2**63 - 1  # message ids are stored as BIGINT
# No Telegram post predates Telegram (August 2013); the far end only guards against garbage.
MIN_DATE = datetime(2013, 8, 1, tzinfo=UTC)
MAX_DATE = datetime(2100, 1, 1, tzinfo=UTC)


def message_id_problem(value: int) -> str | None:
    """Why `value` cannot be a message id (1 ≤ id < 2^63), or None."""
    if 1 <= value <= MAX_MESSAGE_ID:
        return None
    shown = str(value) if len(str(value)) <= 24 else str(value)[:21] + "..."
    return f"message id {shown} is out of range (1 to 2^63 - 1)"


def bounded_message_id(raw: str | None) -> int | None:
    """A message id from decimal text (as in `data-post="name/123"`), or None if not one."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return None if message_id_problem(value) else value


def date_problem(moment: datetime) -> str | None:
    """Why `moment` (aware) cannot be a post's date, or None."""
    if MIN_DATE <= moment <= MAX_DATE:
        return None
    return f"date {moment.isoformat()} is out of range ({MIN_DATE.date()} to {MAX_DATE.date()})"


def as_utc(parsed: datetime) -> datetime | None:
    """`parsed` in UTC (a naive one is taken as UTC), or None when UTC would overflow."""
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        return None


def from_unixtime(seconds: int) -> datetime | None:
    """A UTC datetime from Unix seconds within the date bounds, else None (never raises)."""
    if not MIN_DATE.timestamp() <= seconds <= MAX_DATE.timestamp():
        return None
    return datetime.fromtimestamp(seconds, UTC)


def parse_iso_date(text: str) -> datetime | None:
    """An ISO-8601 date within the bounds, in UTC (naive = UTC), or None (never raises)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = as_utc(parsed)
    return moment if moment is not None and date_problem(moment) is None else None
