"""Set-based reads that feed the health score and the triggers: a handful of grouped queries for all
accounts (or a given subset), never a query per account.

Week k is the 7 days ending `as_of - 7k`; see `plays/signals.py`. Usage counts weekly active users where a
feed gives them, else the day's active users (the week's maximum). Results are plain rows keyed by account
id; `bot/services/check.py` turns them into the engine's dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Select, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from store.id_sets import IdRange, only, within
from store.models import Account, Contact, Contract, HealthSnapshot, NpsResponse, StakeholderRole, Ticket
from store.models import UsageDaily as U

WEEKS = 8
URGENT = ("high", "urgent")


@dataclass
class InputRows:
    as_of: date
    accounts: list[tuple[str, float | None, date | None, date | None]] = field(default_factory=list)
    # Rows keyed by account id; each row starts with the account id, then the columns listed
    usage: dict[str, Any] = field(default_factory=dict)  # w0..w7, events_4w, seats
    tickets: dict[str, Any] = field(default_factory=dict)  # t7, t28, urgent28
    nps: dict[str, Any] = field(default_factory=dict)  # score, external_id, responded_at
    stakeholders: dict[str, Any] = field(default_factory=dict)  # engaged, has_champion
    champion_left: dict[str, Any] = field(default_factory=dict)  # contact_id, valid_to
    arr_change: dict[str, float] = field(default_factory=dict)
    latest_snapshot: dict[str, Any] = field(default_factory=dict)  # as_of, score, band (last 7 days)
    prev_score: dict[str, int] = field(default_factory=dict)  # latest score 28-35 days before as_of


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _latest_per_account(inner: Select[Any], *columns: str) -> Select[Any]:
    sub = inner.subquery()
    return select(*(sub.c[c] for c in columns)).where(sub.c.rn == 1)


def fetch_inputs(
    session: Session,
    as_of: date,
    account_ids: Sequence[str] | None = None,
    *,
    id_range: IdRange | None = None,
) -> InputRows:
    """Everything the engine needs for `as_of`, for every live account, just `account_ids`, or the
    accounts whose id lies in `id_range` (a shard of a parallel pass)."""
    rows = InputRows(as_of)
    ids = list(account_ids) if account_ids is not None else None
    conn = session.connection()  # Core rows: no ORM result processing on the hot path
    dialect = conn.dialect

    def _only(query: Any, column: Any, ids: Sequence[str] | None) -> Any:
        return within(only(query, column, ids, dialect), column, id_range)

    end = _start(as_of + timedelta(days=1))
    # dates as ISO text and ARR as float: parsed by C code instead of per-value type processors
    accounts = select(
        Account.id,
        cast(Account.arr, Float),
        cast(Account.contract_start, String),
        cast(Account.renewal_date, String),
    ).where(Account.is_deleted.is_(False))
    rows.accounts = [
        (
            i,
            arr,
            date.fromisoformat(start) if start else None,
            date.fromisoformat(renewal) if renewal else None,
        )
        for i, arr, start, renewal in conn.execute(_only(accounts, Account.id, ids))
    ]
    active = func.coalesce(U.weekly_active_users, U.active_users)

    def week(k: int) -> Any:
        return func.max(
            case(
                (
                    and_(U.day > as_of - timedelta(days=7 * (k + 1)), U.day <= as_of - timedelta(days=7 * k)),
                    active,
                )
            )
        ).label(f"w{k}")

    usage = select(
        U.account_id,
        *(week(k) for k in range(WEEKS)),
        func.sum(case((U.day > as_of - timedelta(days=28), U.key_feature_events), else_=0)).label(
            "events_4w"
        ),
        func.max(U.licensed_seats).label("seats"),
    ).where(U.day > as_of - timedelta(days=7 * WEEKS), U.day <= as_of)
    rows.usage = {r[0]: r for r in conn.execute(_only(usage, U.account_id, ids).group_by(U.account_id))}

    d7, d28 = end - timedelta(days=7), end - timedelta(days=28)
    tickets = select(
        Ticket.account_id,
        func.sum(case((Ticket.opened_at >= d7, 1), else_=0)).label("t7"),
        func.count().label("t28"),
        func.sum(case((Ticket.priority.in_(URGENT), 1), else_=0)).label("urgent28"),
    ).where(Ticket.opened_at >= d28, Ticket.opened_at < end, Ticket.is_deleted.is_(False))
    rows.tickets = {
        r[0]: r for r in conn.execute(_only(tickets, Ticket.account_id, ids).group_by(Ticket.account_id))
    }

    n = NpsResponse
    latest_at = (
        select(n.account_id, func.max(n.responded_at).label("at"))
        .where(n.responded_at < end, n.responded_at >= end - timedelta(days=366))
        .group_by(n.account_id)
    )
    latest = _only(latest_at, n.account_id, ids).subquery()
    nps = select(n.account_id, n.score, n.external_id, n.responded_at).join(
        latest, and_(latest.c.account_id == n.account_id, latest.c.at == n.responded_at)
    )
    # on a tie the later row wins
    rows.nps = {r[0]: r for r in conn.execute(nps.order_by(n.account_id, n.id))}

    sr = StakeholderRole
    current = (
        select(
            sr.account_id,
            func.count(sr.contact_id.distinct()).label("engaged"),
            func.max(case((sr.role == "champion", 1), else_=0)).label("has_champion"),
        )
        .join(Contact, Contact.id == sr.contact_id)
        .where(
            sr.valid_from <= as_of,
            or_(sr.valid_to.is_(None), sr.valid_to > as_of),
            or_(Contact.left_company_at.is_(None), Contact.left_company_at > as_of),
            Contact.is_deleted.is_(False),
        )
    )
    rows.stakeholders = {
        r[0]: r for r in conn.execute(_only(current, sr.account_id, ids).group_by(sr.account_id))
    }

    # A champion is gone when the role ends or the person leaves the company (a CRM may record the
    # departure on the contact and leave the role open), whichever comes first. A contact may hold the
    # role through several spells (one per CRM record, say a renewal's and an upsell's contact role):
    # they are gone only once none of them is current, from the day the last one ended.
    left = Contact.left_company_at
    gone_on = case(
        (and_(sr.valid_to.is_not(None), or_(left.is_(None), sr.valid_to <= left)), sr.valid_to),
        else_=left,
    )
    held = aliased(StakeholderRole)
    still_held = (
        select(held.id)
        .where(
            held.account_id == sr.account_id,
            held.role == "champion",
            held.contact_id == sr.contact_id,
            held.valid_from <= as_of,
            or_(held.valid_to.is_(None), held.valid_to > as_of),
        )
        .exists()
    )
    ended = (
        select(
            sr.account_id,
            sr.contact_id,
            gone_on.label("valid_to"),
            func.row_number()
            .over(partition_by=sr.account_id, order_by=(gone_on.desc(), sr.contact_id.desc()))
            .label("rn"),
        )
        .join(Contact, Contact.id == sr.contact_id)
        .where(
            sr.role == "champion",
            sr.valid_from <= as_of,
            gone_on.is_not(None),
            gone_on <= as_of,
            or_(and_(left.is_not(None), left <= as_of), ~still_held),
            Contact.is_deleted.is_(False),  # as the replay's history, which drops deleted contacts
        )
    )
    rows.champion_left = {
        r[0]: r
        for r in conn.execute(
            _latest_per_account(_only(ended, sr.account_id, ids), "account_id", "contact_id", "valid_to")
        )
    }

    contracts = select(
        Contract.account_id,
        Contract.arr,
        func.row_number()
        .over(partition_by=Contract.account_id, order_by=(Contract.start_date.desc(), Contract.id.desc()))
        .label("rn"),
    ).where(Contract.start_date <= as_of, Contract.status != "cancelled")
    sub = _only(contracts, Contract.account_id, ids).subquery()
    pairs: dict[str, dict[int, float]] = {}
    for r in conn.execute(select(sub.c.account_id, sub.c.arr, sub.c.rn).where(sub.c.rn <= 2)):
        pairs.setdefault(r.account_id, {})[r.rn] = float(r.arr)
    for account_id, arrs in pairs.items():
        if 1 in arrs and arrs.get(2):
            rows.arr_change[account_id] = arrs[1] / arrs[2] - 1

    hs = HealthSnapshot

    def snapshots(low: date, high: date) -> Select[Any]:
        inner = select(
            hs.account_id,
            hs.as_of,
            hs.score,
            hs.band,
            func.row_number()
            .over(partition_by=hs.account_id, order_by=(hs.as_of.desc(), hs.id.desc()))
            .label("rn"),
        ).where(hs.as_of > low, hs.as_of <= high)
        return _latest_per_account(_only(inner, hs.account_id, ids), "account_id", "as_of", "score", "band")

    rows.latest_snapshot = {r[0]: r for r in conn.execute(snapshots(as_of - timedelta(days=7), as_of))}
    rows.prev_score = {
        r[0]: r[2] for r in conn.execute(snapshots(as_of - timedelta(days=35), as_of - timedelta(days=28)))
    }
    return rows


def changed_accounts(session: Session, since: datetime) -> list[str]:
    """Accounts whose CRM rows, tickets, roles or NPS responses changed since `since` (usage ingest
    reports the accounts it touched itself)."""
    queries = [
        select(Account.id).where(Account.synced_at >= since),
        select(Ticket.account_id).where(Ticket.synced_at >= since, Ticket.account_id.is_not(None)),
        select(Contact.account_id).where(Contact.synced_at >= since, Contact.account_id.is_not(None)),
        select(NpsResponse.account_id).where(NpsResponse.responded_at >= since),
    ]
    found: set[str | None] = set()
    for q in queries:
        found.update(session.scalars(q))
    return sorted(a for a in found if a)
