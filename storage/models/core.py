"""Tables of the foundation: tenants, users, channels, subscriptions, posts, questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base, BigId


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Set by /lang: the chat's language then wins over each user's client language.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # False once the bot was removed from the chat (kicked, left, 403): its channels stop polling.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(255))
    language_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)


class ChannelRow(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)  # lower-cased
    title: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16))
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    poll_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)  # English, for logs and the CLI
    last_error_kind: Mapped[str | None] = mapped_column(String(32))  # CoreError.kind, for chats
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("tenant_id", "channel_id", name="uq_subscription"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # The /subscribe reply to edit once the channel's posts are indexed (cleared when done).
    indexed_notice_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The subscriber proved membership of the channel; only such chats may follow a private one.
    member_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("channel_id", "message_id", name="uq_post_channel_message"),
        Index("ix_posts_channel_date", "channel_id", "date"),
        Index("ix_posts_channel_group", "channel_id", "grouped_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    views: Mapped[int | None] = mapped_column(BigInteger)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    grouped_id: Mapped[str | None] = mapped_column(String(64))
    edit_date: Mapped[datetime | None]
    forwarded_from: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    deleted_at: Mapped[datetime | None]  # gone from the source; the retention job removes it


class PostIndexStateRow(Base):
    """Which version of a post is in which tenant's index; a missing or older row means pending."""

    __tablename__ = "post_index_state"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    indexed_version: Mapped[int] = mapped_column(Integer, default=0)
    indexed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class QuestionRow(Base):
    """Each question asked and its outcome, per tenant."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), default="extractive")
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    sources_count: Mapped[int] = mapped_column(Integer, default=0)
    source_channel_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
