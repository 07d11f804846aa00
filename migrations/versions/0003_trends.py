"""trends

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "trends",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("trend_key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("stems", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("channel_count", sa.Integer(), nullable=False),
        _when("first_post_at"),
        _when("detected_at"),
        _when("last_seen_at"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "trend_key", name="uq_trend_tenant_key"),
    )
    with op.batch_alter_table("trends", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trends_tenant_last_seen", ["tenant_id", "last_seen_at"], unique=False
        )

    op.create_table(
        "trend_posts",
        sa.Column("trend_id", _ID, nullable=False),
        sa.Column("post_id", _ID, nullable=False),
        sa.Column("channel_id", _ID, nullable=False),
        _when("date"),
        sa.Column("url", sa.String(length=255), nullable=False),
        sa.Column("snippet", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["trend_id"], ["trends.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trend_id", "post_id"),
    )
    with op.batch_alter_table("trend_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trend_posts_channel_id"), ["channel_id"], unique=False)

    op.create_table(
        "trend_alerts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("trend_key", sa.String(length=32), nullable=False),
        sa.Column("trend_id", _ID, nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        _when("claimed_until", nullable=True),
        _when("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        _when("created_at"),
        _when("sent_at", nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["trend_id"], ["trends.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "trend_key", name="uq_trend_alert_chat_trend"),
    )
    with op.batch_alter_table("trend_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trend_alerts_status_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "trend_mutes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("trend_key", sa.String(length=32), nullable=False),
        sa.Column("stems", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "trend_key", name="uq_trend_mute"),
    )

    op.create_table(
        "trend_runs",
        sa.Column("tenant_id", _ID, nullable=False),
        _when("ran_at"),
        sa.Column("trends", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("trend_runs")
    op.drop_table("trend_mutes")
    with op.batch_alter_table("trend_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_trend_alerts_status_due")
    op.drop_table("trend_alerts")
    with op.batch_alter_table("trend_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trend_posts_channel_id"))
    op.drop_table("trend_posts")
    with op.batch_alter_table("trends", schema=None) as batch_op:
        batch_op.drop_index("ix_trends_tenant_last_seen")
    op.drop_table("trends")
