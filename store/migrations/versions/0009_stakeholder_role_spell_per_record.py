"""stakeholder_roles: one spell per CRM record (crm_id joins the unique key)

Revision ID: 0009
Revises: 0008

A contact is often a contact role on two opportunities of one account (a renewal and an upsell), both
created the same day with the same role. Under the key (account_id, contact_id, role, valid_from) the
two OpportunityContactRole records shared one row, so deleting either ended the contact's role while
the other still held it (a false champion departure). The key becomes (account_id, contact_id, role,
valid_from, crm_id), with crm_id NOT NULL: rows without a CRM record (recorded from Slack, loaded from
the portfolio) get "" instead of NULL, so they still conflict with each other and the key stays a plain
column list that every upsert can name as its ON CONFLICT target (NULLs never conflict, and an
expression index cannot be named by columns).

Existing rows are kept as they are. Two records merged before this revision stay one row, under the
later record's id; `retainer sync salesforce --full` reads every contact role again and gives the
other record its spell back. Downgrading merges spells that differ only by crm_id into one row (an open
one first, else the latest to end) and turns "" back into NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = ("account_id", "contact_id", "role", "valid_from")
OLD_NAME = "uq_stakeholder_roles_account_id_contact_id_role_valid_from"
NEW_NAME = "uq_stakeholder_roles_spell"

roles = sa.table(
    "stakeholder_roles",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.String),
    sa.column("contact_id", sa.String),
    sa.column("role", sa.String),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("crm_id", sa.String),
)


def upgrade() -> None:
    op.execute(roles.update().where(roles.c.crm_id.is_(None)).values(crm_id=""))
    with op.batch_alter_table("stakeholder_roles", schema=None) as batch_op:
        batch_op.alter_column(
            "crm_id", existing_type=sa.String(length=64), nullable=False, server_default=""
        )
        batch_op.drop_constraint(OLD_NAME, type_="unique")
        batch_op.create_unique_constraint(NEW_NAME, [*OLD_KEY, "crm_id"])


def downgrade() -> None:
    ranked = sa.select(
        roles.c.id,
        sa.func.row_number()
        .over(
            partition_by=[roles.c[c] for c in OLD_KEY],
            order_by=(
                sa.case((roles.c.valid_to.is_(None), 0), else_=1),
                roles.c.valid_to.desc(),
                roles.c.id.desc(),
            ),
        )
        .label("rn"),
    ).subquery()
    merged = sa.select(ranked.c.id).where(ranked.c.rn > 1)
    op.execute(roles.delete().where(roles.c.id.in_(merged)))
    with op.batch_alter_table("stakeholder_roles", schema=None) as batch_op:
        batch_op.drop_constraint(NEW_NAME, type_="unique")
        batch_op.create_unique_constraint(OLD_NAME, list(OLD_KEY))
        batch_op.alter_column(
            "crm_id", existing_type=sa.String(length=64), nullable=True, server_default=None
        )
    op.execute(roles.update().where(roles.c.crm_id == "").values(crm_id=None))
