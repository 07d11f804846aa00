"""trend stories: actors, summary, escalation and reach of a trend; copies among its posts;
escalation alerts (a stage per alert of one story)

Revision ID: 0008_trend_stories
Revises: 0010_security
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_trend_stories"
down_revision: str | None = "0010_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("trends") as batch:
        batch.add_column(sa.Column("actors", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("summary_sources", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("escalation", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reach", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("trend_posts") as batch:
        batch.add_column(sa.Column("copy_of", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("trend_alerts") as batch:
        batch.add_column(sa.Column("stage", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("since", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("new_posts", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("new_channels", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_trend_alert_chat_trend", type_="unique")
        batch.create_unique_constraint(
            "uq_trend_alert_chat_trend_stage", ["chat_id", "trend_key", "stage"]
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM trend_alerts WHERE stage > 0"))
    with op.batch_alter_table("trend_alerts") as batch:
        batch.drop_constraint("uq_trend_alert_chat_trend_stage", type_="unique")
        batch.create_unique_constraint("uq_trend_alert_chat_trend", ["chat_id", "trend_key"])
        batch.drop_column("new_channels")
        batch.drop_column("new_posts")
        batch.drop_column("since")
        batch.drop_column("stage")
    with op.batch_alter_table("trend_posts") as batch:
        batch.drop_column("copy_of")
    with op.batch_alter_table("trends") as batch:
        batch.drop_column("reach")
        batch.drop_column("escalation")
        batch.drop_column("summary_sources")
        batch.drop_column("summary")
        batch.drop_column("actors")
