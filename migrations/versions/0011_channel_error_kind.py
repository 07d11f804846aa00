"""the kind of a channel's last poll error, so chats read it in their own language

Revision ID: 0011_channel_error_kind
Revises: 0009_digests_watches
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_channel_error_kind"
down_revision: str | None = "0009_digests_watches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("last_error_kind", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("last_error_kind")
