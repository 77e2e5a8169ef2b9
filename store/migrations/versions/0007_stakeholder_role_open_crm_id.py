"""stakeholder_roles: index on (source, crm_id) of open spells

Revision ID: 0007
Revises: 0006

A Salesforce contact role (OpportunityContactRole) that arrives again is compared with the open spell
stored under its id, so an edited, moved or no longer tracked role closes the spell it replaces.
Spells that an earlier sync left open are closed by the next full sync (`retainer sync salesforce
--full`), which reads every contact role again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("valid_to IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_stakeholder_roles_open_crm_id",
        "stakeholder_roles",
        ["source", "crm_id"],
        unique=False,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_stakeholder_roles_open_crm_id", table_name="stakeholder_roles")
