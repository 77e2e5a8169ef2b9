"""alert_events.notice: escalation and follow-up-step notices stay pending until Slack accepted them

Revision ID: 0005
Revises: 0004

Events recorded before this revision were announced (or not) by the old time-window rule; they are
left without a notice, so upgrading sends nothing twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("notice = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice", sa.String(length=8), nullable=True))
    op.create_index(
        "ix_alert_events_pending_notice",
        "alert_events",
        ["at"],
        unique=False,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_alert_events_pending_notice", table_name="alert_events")
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_column("notice")
