"""post embeddings: one dense vector per post and model, shared by every tenant

Revision ID: 0007_embeddings
Revises: 0008_trend_stories
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_embeddings"
down_revision: str | None = "0005_integrity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "post_embeddings",
        sa.Column("post_id", BIG_ID, nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "model"),
    )


def downgrade() -> None:
    op.drop_table("post_embeddings")
