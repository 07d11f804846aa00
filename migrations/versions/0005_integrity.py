"""integrity: tenant activity, verified subscriptions, deleted posts, index purges, question counters

Revision ID: 0005_integrity
Revises: 0008_trend_stories
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_integrity"
down_revision: str | None = "0008_trend_stories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "tenants", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column(
        "subscriptions",
        sa.Column("member_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("posts", sa.Column("deleted_at", TIMESTAMP, nullable=True))
    op.create_table(
        "index_purges",
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "channel_id"),
    )
    op.create_table(
        "question_counters",
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("question_counters")
    op.drop_table("index_purges")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("deleted_at")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("member_verified")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("active")
