"""The dead-letter table: the DLQ without Redis, and Redis's fallback (capped per stream)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base, BigId


class DeadLetterRow(Base):
    """One failure of a job, in its stream (`stream:<job>.failed`)."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_stream_id", "stream", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
