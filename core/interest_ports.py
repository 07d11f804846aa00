"""Ports and DTOs of the interests feature: profiles, their sync state, the question log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.rag.ports import QuestionRecord


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


class InterestRepository(Protocol):
    """Profiles, sync state and the question log as interests read it (SQL)."""

    async def pending_users(self, limit: int) -> list[UserActivity]:
        """Users whose newest question is newer than their last sync (or last failed sync)."""
        ...

    async def user_activity(self, user_id: int) -> UserActivity | None:
        """The user's newest question, whatever the sync state."""
        ...

    async def questions(self, user_id: int, since: datetime, limit: int) -> list[QuestionRecord]:
        """The user's questions in every chat since a moment, newest first."""
        ...

    async def channel_labels(self, channel_ids: Iterable[int]) -> dict[int, str]:
        """`@username` (or the title) of each channel."""
        ...

    async def profile(self, user_id: int) -> list[Interest]:
        """Every stored topic of the user, removed ones included."""
        ...

    async def profiles(self, user_ids: Sequence[int]) -> dict[int, list[Interest]]: ...

    async def save_implicit(
        self, user_id: int, interests: Sequence[Interest], now: datetime
    ) -> None:
        """Replace the user's implicit topics; explicit and removed ones stay as they are."""
        ...

    async def set_explicit(self, user_id: int, interest: Interest, now: datetime) -> bool:
        """Make a topic explicit; False when it already was."""
        ...

    async def remove(self, user_id: int, topic: str, now: datetime) -> Interest | None:
        """Drop an explicit topic, mark an implicit one removed; the topic as it was, or None."""
        ...

    async def mark_synced(
        self, user_id: int, last_question_id: int, topics: int, now: datetime
    ) -> None: ...

    async def mark_failed(self, user_id: int, last_question_id: int, now: datetime) -> None: ...

    async def tenant_users(self, tenant_id: int) -> list[int]:
        """Users who asked questions in a chat."""
        ...

    async def tenant_questions(
        self, tenant_id: int, since: datetime, limit: int
    ) -> list[QuestionRecord]:
        """Questions asked in one chat since a moment (by anyone), newest first."""
        ...
