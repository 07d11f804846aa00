"""Tables of the interests feature: users' interest profiles and when each was last synced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base, BigId


class UserInterestRow(Base):
    """One topic of a user's profile: explicit (the user added it) or implicit (from questions)."""

    __tablename__ = "user_interests"
    __table_args__ = (UniqueConstraint("user_id", "topic", name="uq_user_interest"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(255))  # normalised key: stems, or @channel
    label: Mapped[str] = mapped_column(String(255))  # how the topic is shown
    kind: Mapped[str] = mapped_column(String(16))  # term / entity / channel / topic
    source: Mapped[str] = mapped_column(String(16))  # explicit / implicit / removed
    weight: Mapped[float] = mapped_column(Float, default=0.0)  # as of updated_at
    mentions: Mapped[int] = mapped_column(Integer, default=0)  # questions that touched it
    last_seen_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class UserInterestSyncRow(Base):
    """How far a user's implicit interests have been computed."""

    __tablename__ = "user_interest_syncs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_question_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # A failed sync waits for a DLQ retry or new questions instead of failing every run.
    failed_question_id: Mapped[int] = mapped_column(BigInteger, default=0)
    topics: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime] = mapped_column(default=utc_now)
