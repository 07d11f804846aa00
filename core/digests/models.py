"""Data objects of digests; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Frequency(StrEnum):
    """How often a chat gets its digest."""

    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """A chat's digest settings; `covered_until` ends the last period queued."""

    frequency: Frequency = Frequency.OFF
    minute_of_day: int = 9 * 60
    weekday: int | None = None  # 0 = Monday, for weekly digests
    timezone: str = "UTC"
    topics: tuple[str, ...] = ()
    covered_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class DigestPost:
    """A post as a digest cites it."""

    post_id: int
    channel_id: int
    channel_name: str
    message_id: int
    url: str
    date: datetime
    text: str
    views: int = 0


@dataclass(frozen=True, slots=True)
class DigestSource:
    """One numbered source of a story."""

    channel: str
    message_id: int
    url: str


@dataclass(slots=True)
class DigestStory:
    """One story of a digest: a trend, or a post several channels carried."""

    headline: str
    summary: str
    sources: list[DigestSource]
    kind: str  # "trend" or "posts"
    score: float = 0.0
    alerted: bool = False  # already sent to the chat as a trend alert: marked, not repeated
    stems: frozenset[str] = frozenset()
    posts: list[DigestPost] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Digest:
    """The stories of a period, best first."""

    period_from: datetime
    period_to: datetime
    stories: list[DigestStory]
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestTarget:
    """A chat with a digest schedule."""

    tenant_id: int
    chat_id: int
    language: str
    schedule: DigestSchedule
    thread_id: int | None = None


@dataclass(slots=True)
class DigestRunReport:
    """What one pass over the due digests did."""

    due: int = 0
    queued: int = 0
    errors: int = 0
