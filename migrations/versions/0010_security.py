"""security: token reservations that expire

Revision ID: 0010_security
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_security"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "token_reservations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_token_reservations_tenant_day", "token_reservations", ["tenant_id", "day"])
    # Reservations held before this revision have no record to expire: drop them.
    op.execute("UPDATE tenant_token_usage SET reserved_tokens = 0")


def downgrade() -> None:
    op.drop_index("ix_token_reservations_tenant_day", table_name="token_reservations")
    op.drop_table("token_reservations")
