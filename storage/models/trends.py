"""Tables of the trends feature: detected trends, their posts, the alert outbox, mutes, runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base, BigId


class TrendRow(Base):
    """A trend of one tenant; `trend_key` stays the same while the story continues."""

    __tablename__ = "trends"
    __table_args__ = (
        UniqueConstraint("tenant_id", "trend_key", name="uq_trend_tenant_key"),
        Index("ix_trends_tenant_last_seen", "tenant_id", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    trend_key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))
    headline: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    stems: Mapped[list[str]] = mapped_column(JSON, default=list)
    score: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    mentions: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    channel_count: Mapped[int] = mapped_column(Integer)
    actors: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    summary: Mapped[str | None] = mapped_column(Text)
    summary_sources: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    escalation: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    reach: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    first_post_at: Mapped[datetime]  # the earliest post behind it
    detected_at: Mapped[datetime] = mapped_column(default=utc_now)  # first run that found it
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)  # latest run that found it


class TrendPostRow(Base):
    """A post behind a trend (as of the latest run that found the trend)."""

    __tablename__ = "trend_posts"

    trend_id: Mapped[int] = mapped_column(
        ForeignKey("trends.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[datetime]
    url: Mapped[str] = mapped_column(String(255), default="")
    snippet: Mapped[str] = mapped_column(String(255), default="")
    copy_of: Mapped[int | None] = mapped_column(BigInteger)  # the post of the story it copies


class TrendAlertRow(Base):
    """The outbox: one row per chat, story and stage (0: the first alert, n: its n-th
    escalation), written before sending, marked after."""

    __tablename__ = "trend_alerts"
    __table_args__ = (
        UniqueConstraint("chat_id", "trend_key", "stage", name="uq_trend_alert_chat_trend_stage"),
        Index("ix_trend_alerts_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    trend_key: Mapped[str] = mapped_column(String(32))
    # The trend may be pruned later; the row stays, so the alert is never sent twice.
    trend_id: Mapped[int | None] = mapped_column(ForeignKey("trends.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column(Float)
    stage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # An escalation: what is new since the chat's previous alert about the story.
    since: Mapped[datetime | None]
    new_posts: Mapped[int | None] = mapped_column(Integer)
    new_channels: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]


class TrendMuteRow(Base):
    """A chat muted a trend: no alert for it, or for a later trend with the same top terms."""

    __tablename__ = "trend_mutes"
    __table_args__ = (UniqueConstraint("tenant_id", "trend_key", name="uq_trend_mute"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    trend_key: Mapped[str] = mapped_column(String(32))
    stems: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class TrendRunRow(Base):
    """When detection last ran for a tenant, so /trends knows what is current."""

    __tablename__ = "trend_runs"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    ran_at: Mapped[datetime]
    trends: Mapped[int] = mapped_column(Integer, default=0)
