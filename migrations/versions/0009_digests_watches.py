"""digests, keyword watches, the message outbox, forum topics, trend near misses

Revision ID: 0009_digests_watches
Revises: 0006_chat_language
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_digests_watches"
down_revision: str | None = "0006_chat_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _tenant_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", TIMESTAMP, nullable=True),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "kind", "dedupe_key", name="uq_outbox_chat_kind_key"),
    )
    op.create_index(
        "ix_outbox_messages_status_due", "outbox_messages", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_outbox_messages_chat_kind_created",
        "outbox_messages",
        ["chat_id", "kind", "created_at"],
    )
    op.create_table(
        "digest_settings",
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("minute_of_day", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("covered_until", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "watches",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watches_tenant", "watches", ["tenant_id"])
    op.create_table(
        "watch_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_post_id", sa.BigInteger(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "chat_threads",
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("feature", sa.String(length=16), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("tenant_id", "feature"),
    )
    op.create_table(
        "trend_near_misses",
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("checked_at", TIMESTAMP, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("trend_near_misses")
    op.drop_table("chat_threads")
    op.drop_table("watch_cursor")
    op.drop_index("ix_watches_tenant", table_name="watches")
    op.drop_table("watches")
    op.drop_table("digest_settings")
    op.drop_index("ix_outbox_messages_chat_kind_created", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_status_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
