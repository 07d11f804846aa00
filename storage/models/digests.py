"""Tables of digests, keyword watches, the shared message outbox, forum topics and near misses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base, BigId, OutboxStateColumns


class OutboxMessageRow(OutboxStateColumns, Base):
    """A prepared message (digest or watch hit) written before sending, marked after.

    One row per chat, kind and dedupe key, so a period's digest or a post's hit exists once;
    `parts_sent` lets a long digest resume after a crash without repeating parts.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "kind", "dedupe_key", name="uq_outbox_chat_kind_key"),
        Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_chat_kind_created", "chat_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    # What the parts were rendered from, when more may join them (watch hits held to group).
    payload: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))


class DigestSettingsRow(Base):
    """A chat's digest schedule; `covered_until` is the end of the last period queued."""

    __tablename__ = "digest_settings"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[str] = mapped_column(String(8))  # off, daily, weekly
    minute_of_day: Mapped[int] = mapped_column(Integer, default=540)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    covered_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class WatchRow(Base):
    """A keyword watch of a chat, as typed; parsed again when loaded."""

    __tablename__ = "watches"
    __table_args__ = (Index("ix_watches_tenant", "tenant_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    expression: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class WatchCursorRow(Base):
    """The last post id watch matching has seen: every post is matched once, in order."""

    __tablename__ = "watch_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_post_id: Mapped[int] = mapped_column(BigInteger)
    # [post id, first seen]: ids below the cursor not stored when it passed (late commits)
    gaps: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)


class ChatThreadRow(Base):
    """The forum topic of a supergroup where one feature's messages go."""

    __tablename__ = "chat_threads"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[str] = mapped_column(String(16), primary_key=True)
    thread_id: Mapped[int] = mapped_column(BigInteger)


class TrendNearMissRow(Base):
    """The stories of a chat's latest trend check that came close, and why each was not sent."""

    __tablename__ = "trend_near_misses"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    checked_at: Mapped[datetime]
    items: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
