"""Load the synthetic portfolio straight into the store (tests, benchmarks and backtests).

The demo loads it into the CRM sandboxes instead and lets the connectors sync it; this path skips the
CRMs. Rows use `source` (default "salesforce") with the portfolio keys as CRM ids; loading the same
portfolio twice upserts, never duplicates. Batches of accounts commit together, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from sandbox.portfolio_records import PAccount
from store import keys
from store.models import (
    STAKEHOLDER_ROLE_KEY,
    Account,
    Contact,
    Deal,
    NpsResponse,
    StakeholderRole,
    Ticket,
    UsageDaily,
)
from store.uow import unit_of_work
from store.upsert import bulk_upsert

_ORDER = (Account, Contact, Deal, StakeholderRole, Ticket, UsageDaily, NpsResponse)
_CONFLICT = {
    Account: ("id",),
    Contact: ("id",),
    Deal: ("id",),
    StakeholderRole: STAKEHOLDER_ROLE_KEY,
    Ticket: ("id",),
    UsageDaily: ("account_id", "day"),
    NpsResponse: ("external_id",),
}


@dataclass
class LoadCounts:
    accounts: int = 0
    rows: int = 0
    by_table: dict[str, int] = field(default_factory=dict)


def account_rows(acc: PAccount, source: str, synced_at: datetime) -> dict[type, list[dict[str, object]]]:
    """The canonical rows for one portfolio account, per model."""
    aid = keys.account_key(source, acc.key)
    rows: dict[type, list[dict[str, object]]] = {model: [] for model in _ORDER}
    synced = {"source": source, "is_deleted": False, "synced_at": synced_at}
    rows[Account].append(
        {
            "id": aid,
            "crm_id": acc.key,
            "name": acc.name,
            "domain": acc.domain,
            "industry": acc.industry,
            "crm_owner_id": acc.owner_email,
            "arr": acc.arr,
            "currency": "USD",
            "contract_start": acc.contract_start,
            "renewal_date": acc.renewal_date,
            "lifecycle_stage": None,
            "crm_modified_at": acc.modified_at,
            "extra": {},
            **synced,
        }
    )
    for c in acc.contacts:
        cid = keys.contact_key(source, c.key)
        rows[Contact].append(
            {
                "id": cid,
                "crm_id": c.key,
                "account_id": aid,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "email": c.email,
                "title": c.title,
                "left_company_at": c.left_on,
                "crm_modified_at": acc.modified_at,
                **synced,
            }
        )
        for span in c.roles:
            rows[StakeholderRole].append(
                {
                    "account_id": aid,
                    "contact_id": cid,
                    "role": span.role,
                    "valid_from": span.valid_from,
                    "valid_to": span.valid_to,
                    "source": source,
                    "crm_id": "",
                    "recorded_by": None,
                }
            )
    for d in acc.deals:
        rows[Deal].append(
            {
                "id": keys.deal_key(source, d.key),
                "crm_id": d.key,
                "account_id": aid,
                "name": d.name,
                "stage": d.stage,
                "kind": d.kind,
                "amount": d.amount,
                "close_date": d.close_date,
                "is_closed": d.is_closed,
                "is_won": d.is_won,
                "crm_modified_at": acc.modified_at,
                **synced,
            }
        )
    for t in acc.tickets:
        rows[Ticket].append(
            {
                "id": keys.ticket_key(source, t.key),
                "crm_id": t.key,
                "account_id": aid,
                "contact_id": keys.contact_key(source, t.contact_key) if t.contact_key else None,
                "subject": t.subject,
                "priority": t.priority,
                "status": t.status,
                "opened_at": t.opened_at,
                "closed_at": t.closed_at,
                "crm_modified_at": t.closed_at or t.opened_at,
                **synced,
            }
        )
    seats = acc.usage.licensed_seats
    for day, wau, events in acc.usage.weeks():
        if wau or events:
            rows[UsageDaily].append(
                {
                    "account_id": aid,
                    "day": day,
                    "active_users": round(wau * 0.6),
                    "weekly_active_users": wau,
                    "key_feature_events": events,
                    "licensed_seats": seats,
                }
            )
    for n in acc.nps:
        rows[NpsResponse].append(
            {
                "external_id": n.key,
                "account_id": aid,
                "contact_id": keys.contact_key(source, n.contact_key) if n.contact_key else None,
                "score": n.score,
                "comment": n.comment,
                "responded_at": n.responded_at,
            }
        )
    return rows


def load_portfolio(
    engine: Engine,
    accounts: Iterable[PAccount],
    *,
    source: str = "salesforce",
    batch_accounts: int = 1000,
    include_usage: bool = True,
    usage_since: date | None = None,
) -> LoadCounts:
    """Load `accounts` in batches; `usage_since` keeps only usage weeks after that day (benchmarks that
    need just the scoring window)."""
    counts = LoadCounts()
    synced_at = datetime.now(UTC)
    pending: dict[type, list[dict[str, object]]] = {model: [] for model in _ORDER}
    in_batch = 0

    def flush() -> None:
        with unit_of_work(engine) as session:
            for model in _ORDER:
                batch = pending[model]
                if not batch:
                    continue
                bulk_upsert(session, model, batch, _CONFLICT[model])
                counts.rows += len(batch)
                counts.by_table[model.__tablename__] = counts.by_table.get(model.__tablename__, 0) + len(
                    batch
                )
                batch.clear()

    for acc in accounts:
        for model, rows in account_rows(acc, source, synced_at).items():
            if model is UsageDaily:
                if not include_usage:
                    continue
                if usage_since is not None:
                    rows = [r for r in rows if r["day"] > usage_since]  # type: ignore[operator]
            pending[model].extend(rows)
        counts.accounts += 1
        in_batch += 1
        if in_batch >= batch_accounts:
            flush()
            in_batch = 0
    flush()
    return counts
