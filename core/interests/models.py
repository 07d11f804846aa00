"""Interest types: topics, their sources and kinds, users' activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.errors import CoreError


class InterestSource(StrEnum):
    """Where a topic of a profile comes from."""

    EXPLICIT = "explicit"  # the user added it: weighs more, never decays
    IMPLICIT = "implicit"  # computed from the user's questions
    REMOVED = "removed"  # the user removed it: kept out of the implicit profile


class TopicKind(StrEnum):
    """What a topic is."""

    TERM = "term"  # one stemmed word
    ENTITY = "entity"  # a name kept whole
    CHANNEL = "channel"  # a channel whose posts answered the user's questions
    TOPIC = "topic"  # a phrase the user typed


@dataclass(frozen=True, slots=True)
class Interest:
    """One topic of a user's profile; `weight` is as of `updated_at`."""

    topic: str  # normalised key (stems joined by spaces, or @channel)
    label: str  # how it is shown
    kind: str
    source: str
    weight: float
    mentions: int = 0
    last_seen_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def explicit(self) -> bool:
        """Added by the user."""
        return self.source == InterestSource.EXPLICIT


@dataclass(frozen=True, slots=True)
class UserActivity:
    """A user with questions newer than their last sync."""

    user_id: int
    tenant_id: int  # where the newest question was asked
    last_question_id: int
    new_questions: int


@dataclass(frozen=True, slots=True)
class InterestParams:
    """How profiles are computed."""

    half_life_days: float = 14.0
    explicit_weight: float = 3.0
    term_weight: float = 1.0
    entity_weight: float = 1.5
    channel_weight: float = 0.5
    min_weight: float = 0.05  # implicit topics lighter than this are dropped
    max_topics: int = 50  # implicit topics kept per user
    horizon_days: float = 180.0  # questions older than this no longer count
    max_questions: int = 1000  # newest questions read per sync


class InvalidTopic(CoreError):
    """The text cannot be a topic (empty, too long, only stop words)."""


@dataclass(frozen=True, slots=True)
class Salient:
    """A topic found in a text."""

    key: str
    label: str
    kind: TopicKind


@dataclass(frozen=True, slots=True)
class WeightedInterest:
    """A topic with its weight now."""

    interest: Interest
    weight: float

    @property
    def topic(self) -> str:
        """The normalised key."""
        return self.interest.topic

    @property
    def label(self) -> str:
        """How it is shown."""
        return self.interest.label


@dataclass(slots=True)
class SyncReport:
    """What one run of the sync did."""

    users: int = 0
    synced: int = 0
    failed: int = 0
    topics: int = 0
    dead_lettered: int = 0
    failed_users: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """For job results and logs."""
        return {
            "users": self.users,
            "synced": self.synced,
            "failed": self.failed,
            "topics": self.topics,
            "dead_lettered": self.dead_lettered,
        }
