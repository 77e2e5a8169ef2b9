"""alerts.last_seen_at: when a later pass last hit an open alert again (dedup), apart from updated_at

Revision ID: 0006
Revises: 0005

`updated_at` is what the publisher reads to refresh an alert's message; a pass that merely saw the
alert again used to bump it, so every hourly rescore re-sent every open alert's unchanged message.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
