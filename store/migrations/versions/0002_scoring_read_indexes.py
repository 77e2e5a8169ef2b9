"""covering indexes for the scoring reads

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_opened", ["opened_at", "account_id", "priority", "is_deleted"], unique=False
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_live", ["id", "is_deleted", "left_company_at"], unique=False)
    with op.batch_alter_table("health_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_snapshots_account_as_of", ["account_id", "as_of", "score", "band"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("health_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_health_snapshots_account_as_of")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_live")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_opened")
