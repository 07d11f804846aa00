"""Ports and DTOs of the interests feature: profiles, their sync state, the question log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from core.interests.models import Interest, UserActivity
from core.ports import Transaction
from core.rag.ports import QuestionRecord


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


class InterestsUnitOfWork(Transaction, Protocol):
    """What profiles and their sync read and write."""

    @property
    def interests(self) -> InterestRepository: ...
