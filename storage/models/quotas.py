"""Tables of the quotas feature: storage usage, token budgets, limit overrides, media, vision."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
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


class TenantStorageUsageRow(Base):
    """What a tenant stores, by content type (media / vision / index / posts), as last computed."""

    __tablename__ = "tenant_storage_usage"
    __table_args__ = (
        UniqueConstraint("tenant_id", "content_type", name="uq_tenant_storage_usage"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    content_type: Mapped[str] = mapped_column(String(16))
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    object_count: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class TenantTokenUsageRow(Base):
    """LLM tokens a tenant used and holds reserved on one UTC day."""

    __tablename__ = "tenant_token_usage"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class TokenReservationRow(Base):
    """Tokens held for one LLM call in flight; a crash leaves it, and it stops counting at expiry."""

    __tablename__ = "token_reservations"
    __table_args__ = (Index("ix_token_reservations_tenant_day", "tenant_id", "day"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    tokens: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime]


class TenantQuotaOverrideRow(Base):
    """Per-tenant limits that replace the settings' defaults (NULL keeps the default)."""

    __tablename__ = "tenant_quota_overrides"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    daily_tokens: Mapped[int | None] = mapped_column(BigInteger)
    storage_bytes: Mapped[int | None] = mapped_column(BigInteger)
    channels: Mapped[int | None] = mapped_column(Integer)
    daily_questions: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class MediaObjectRow(Base):
    """One medium of a post kept for one tenant: download state, stored object, vision state."""

    __tablename__ = "media_objects"
    __table_args__ = (
        UniqueConstraint("tenant_id", "post_id", "position", name="uq_media_object"),
        Index("ix_media_objects_status", "status", "vision_status"),
        Index("ix_media_objects_post", "post_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    post_version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)  # URL, or "tg-file:<file_id>"
    storage_key: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    mime_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending / stored / skipped / failed
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    vision_status: Mapped[str] = mapped_column(String(16), default="pending")
    vision_retry_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class VisionResultRow(Base):
    """What the vision model saw in a post's images (an album is one result); one per image set."""

    __tablename__ = "vision_results"
    __table_args__ = (UniqueConstraint("post_id", "image_hash", name="uq_vision_result"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    image_hash: Mapped[str] = mapped_column(String(64))
    image_count: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # done / skipped / failed
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str | None] = mapped_column(String(128))
    retry_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
