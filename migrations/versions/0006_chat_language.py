"""chat language chosen with /lang; the subscribe reply to edit once the channel is indexed

Revision ID: 0006_chat_language
Revises: 0007_embeddings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_chat_language"
down_revision: str | None = "0007_embeddings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("indexed_notice_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("indexed_notice_message_id")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("language_chosen")
