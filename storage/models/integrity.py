"""Tables that keep the index and the limits consistent: pending index purges, question counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base


class IndexPurgeRow(Base):
    """A channel whose points must leave a tenant's index (written with the unsubscribe)."""

    __tablename__ = "index_purges"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class QuestionCounterRow(Base):
    """Questions a tenant asked on one UTC day, counted atomically against the daily limit."""

    __tablename__ = "question_counters"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    asked: Mapped[int] = mapped_column(Integer, default=0)
