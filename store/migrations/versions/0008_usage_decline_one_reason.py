"""Usage decline's alerts carry the one reason `decline` (formerly `two_week_decline` or `wau_mom_drop`)

Revision ID: 0008
Revises: 0007

The fingerprint is a hash of account, play and reason, so alerts stored under the old reasons would not
match the pass's new hits: each open one would get a duplicate, and a recently resolved one would lose
its cooldown. They are rewritten to the new reason and fingerprint. Where an account had both old
reasons open at once, the earlier alert is kept and the later one expired, with an audit event.
Downgrading keeps the new reason (which rule matched is not recorded on old alerts).
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAY, REASON, OLD = "usage_decline", "decline", ("two_week_decline", "wau_mom_drop")
OPEN = ("firing", "claimed", "snoozed")

alerts = sa.table(
    "alerts",
    sa.column("id", sa.String),
    sa.column("fingerprint", sa.String),
    sa.column("account_id", sa.String),
    sa.column("play_id", sa.String),
    sa.column("reason", sa.String),
    sa.column("state", sa.String),
    sa.column("fired_at", UTCDateTime()),
    sa.column("resolved_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
events = sa.table(
    "alert_events",
    sa.column("alert_id", sa.String),
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("from_state", sa.String),
    sa.column("to_state", sa.String),
    sa.column("via", sa.String),
    sa.column("details", sa.JSON),
)


def _fingerprint(account_id: str) -> str:  # plays.triggers.fingerprint, as of this revision
    return hashlib.sha256(f"{account_id}\x1f{PLAY}\x1f{REASON}".encode()).hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(
        sa.select(alerts.c.id, alerts.c.account_id, alerts.c.state)
        .where(alerts.c.play_id == PLAY, alerts.c.reason.in_(OLD))
        .order_by(alerts.c.fired_at, alerts.c.id)
    ).all()
    kept: set[str] = set()
    for alert_id, account_id, state in rows:
        change = {"reason": REASON, "fingerprint": _fingerprint(account_id)}
        if state in OPEN and account_id in kept:  # the same decline's second open alert
            change |= {"state": "expired", "resolved_at": now, "updated_at": now}
            conn.execute(
                events.insert().values(
                    alert_id=alert_id,
                    at=now,
                    actor="migration",
                    action="expire",
                    from_state=state,
                    to_state="expired",
                    via="system",
                    details={"why": "duplicate of the account's earlier usage-decline alert"},
                )
            )
        elif state in OPEN:
            kept.add(account_id)
        conn.execute(alerts.update().where(alerts.c.id == alert_id).values(**change))


def downgrade() -> None:
    pass
