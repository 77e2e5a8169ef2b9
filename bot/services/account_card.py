"""`/account`: everything about one account on one card, as frozen dataclasses for the message builder.

    search = find_accounts(session, "acme")          # ranked; `search.chosen` or a picker of matches
    card = account_card(session, search.chosen.account_id, today, links=CrmLinkBases(...))

The card has health (latest snapshot, drivers, trend of the last N snapshots), the stakeholders holding
a role today with a single-threading warning (fewer than two engaged stakeholders: current role holders
who have not left), open deals, renewal, recent tickets and NPS, alert history, last outcomes and links
into the CRM. CRM base URLs come from the caller (settings), never from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.services.account_search import AccountMatch, AccountSearch, find_accounts
from bot.services.scope import tier_for
from store.models import (
    STAKEHOLDER_ROLES,
    Account,
    Alert,
    Contact,
    Deal,
    HealthSnapshot,
    NpsResponse,
    Outcome,
    StakeholderRole,
    Ticket,
)

__all__ = [
    "AccountCard",
    "AccountMatch",
    "AccountSearch",
    "CrmLinkBases",
    "account_card",
    "crm_link",
    "find_accounts",
]

MIN_ENGAGED_STAKEHOLDERS = 2
RECENT_DAYS = 90


@dataclass(frozen=True)
class CrmLinkBases:
    salesforce_instance_url: str | None = None  # e.g. https://acme.my.salesforce.com
    hubspot_portal_id: str | None = None
    hubspot_app_url: str = "https://app.hubspot.com"


def crm_link(bases: CrmLinkBases, source: str, crm_id: str) -> str | None:
    if source == "salesforce" and bases.salesforce_instance_url:
        return f"{bases.salesforce_instance_url.rstrip('/')}/lightning/r/Account/{crm_id}/view"
    if source == "hubspot" and bases.hubspot_portal_id:
        return f"{bases.hubspot_app_url.rstrip('/')}/contacts/{bases.hubspot_portal_id}/company/{crm_id}"
    return None


@dataclass(frozen=True)
class TrendPoint:
    as_of: date
    score: int
    band: str


@dataclass(frozen=True)
class Health:
    score: int
    band: str
    as_of: date
    drivers: tuple[Any, ...]
    components: dict[str, Any]


@dataclass(frozen=True)
class Stakeholder:
    contact_id: str
    name: str
    title: str | None
    email: str | None
    roles: tuple[str, ...]
    since: date
    left_company_at: date | None

    @property
    def engaged(self) -> bool:
        return self.left_company_at is None


@dataclass(frozen=True)
class OpenDeal:
    name: str
    kind: str | None
    stage: str | None
    amount: Decimal | None
    close_date: date | None


@dataclass(frozen=True)
class TicketLine:
    subject: str
    priority: str | None
    status: str | None
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class NpsLine:
    score: int
    comment: str | None
    responded_at: datetime


@dataclass(frozen=True)
class AlertLine:
    alert_id: str
    play_id: str
    reason: str
    state: str
    severity: str
    fired_at: datetime
    resolved_at: datetime | None
    owner_slack_id: str | None


@dataclass(frozen=True)
class OutcomeLine:
    play_id: str
    result: str
    what_was_done: str
    next_step: str | None
    logged_by: str
    logged_at: datetime


@dataclass(frozen=True)
class AccountCard:
    account_id: str
    name: str
    source: str
    crm_id: str
    crm_url: str | None
    domain: str | None
    industry: str | None
    owner: str | None
    tier: str
    arr: Decimal | None
    renewal_date: date | None
    days_to_renewal: int | None
    health: Health | None
    trend: tuple[TrendPoint, ...]  # oldest first
    stakeholders: tuple[Stakeholder, ...]
    single_threaded: bool
    open_deals: tuple[OpenDeal, ...]
    recent_tickets: tuple[TicketLine, ...]
    open_tickets: int
    recent_nps: tuple[NpsLine, ...]
    alerts: tuple[AlertLine, ...]  # newest first
    outcomes: tuple[OutcomeLine, ...]  # newest first


def _stakeholders(session: Session, account_id: str, today: date) -> tuple[Stakeholder, ...]:
    rows = session.execute(
        select(StakeholderRole.role, StakeholderRole.valid_from, Contact)
        .join(Contact, Contact.id == StakeholderRole.contact_id)
        .where(
            StakeholderRole.account_id == account_id,
            StakeholderRole.valid_from <= today,
            or_(StakeholderRole.valid_to.is_(None), StakeholderRole.valid_to > today),
            Contact.is_deleted.is_(False),
        )
        .order_by(StakeholderRole.valid_from)
    )
    contacts: dict[str, Contact] = {}
    roles: dict[str, list[str]] = {}
    first_since: dict[str, date] = {}
    for role, since, contact in rows:  # ordered by valid_from: the first row is the earliest role
        contacts.setdefault(contact.id, contact)
        first_since.setdefault(contact.id, since)
        held = roles.setdefault(contact.id, [])
        if role not in held:  # a role held through two CRM records (two opportunities) is listed once
            held.append(role)
    people = [
        Stakeholder(
            c.id,
            " ".join(p for p in (c.first_name, c.last_name) if p) or (c.email or "?"),
            c.title,
            c.email,
            tuple(roles[c.id]),
            first_since[c.id],
            c.left_company_at if c.left_company_at and c.left_company_at <= today else None,
        )
        for c in contacts.values()
    ]
    rank = {role: i for i, role in enumerate(STAKEHOLDER_ROLES)}
    people.sort(key=lambda s: (min(rank.get(r, len(rank)) for r in s.roles), s.name))
    return tuple(people)


def account_card(
    session: Session,
    account_id: str,
    today: date,
    *,
    links: CrmLinkBases | None = None,
    trend_points: int = 12,
    history: int = 10,
    now: datetime | None = None,
) -> AccountCard | None:
    """The card for one account, or None when there is no such (live) account. Alerts a timing
    experiment still holds back at `now` (default: the end of `today`) are left out: the CSM has not
    been given them yet."""
    cutoff = now or datetime.combine(today, time.max, tzinfo=UTC)
    account = session.get(Account, account_id)
    if account is None or account.is_deleted:
        return None
    snaps = list(
        session.scalars(
            select(HealthSnapshot)
            .where(HealthSnapshot.account_id == account_id)
            .order_by(HealthSnapshot.computed_at.desc(), HealthSnapshot.id.desc())
            .limit(trend_points)
        )
    )
    latest = snaps[0] if snaps else None
    stakeholders = _stakeholders(session, account_id, today)
    since = datetime.combine(today - timedelta(days=RECENT_DAYS), time(0), UTC)
    live_tickets = (Ticket.account_id == account_id, Ticket.is_deleted.is_(False))
    recent = session.scalars(
        select(Ticket)
        .where(*live_tickets, or_(Ticket.opened_at >= since, Ticket.closed_at.is_(None)))
        .order_by(Ticket.opened_at.desc())
        .limit(5)
    )
    open_tickets = session.scalar(
        select(func.count()).select_from(Ticket).where(*live_tickets, Ticket.closed_at.is_(None))
    )
    return AccountCard(
        account_id=account.id,
        name=account.name,
        source=account.source,
        crm_id=account.crm_id,
        crm_url=crm_link(links or CrmLinkBases(), account.source, account.crm_id),
        domain=account.domain,
        industry=account.industry,
        owner=account.crm_owner_id,
        tier=tier_for(account.arr),
        arr=account.arr,
        renewal_date=account.renewal_date,
        days_to_renewal=(account.renewal_date - today).days if account.renewal_date else None,
        health=Health(
            latest.score,
            latest.band,
            latest.as_of,
            tuple(latest.drivers or ()),
            dict(latest.components or {}),
        )
        if latest
        else None,
        trend=tuple(TrendPoint(s.as_of, s.score, s.band) for s in reversed(snaps)),
        stakeholders=stakeholders,
        single_threaded=sum(1 for s in stakeholders if s.engaged) < MIN_ENGAGED_STAKEHOLDERS,
        open_deals=tuple(
            OpenDeal(d.name, d.kind, d.stage, d.amount, d.close_date)
            for d in session.scalars(
                select(Deal)
                .where(Deal.account_id == account_id, Deal.is_closed.is_(False), Deal.is_deleted.is_(False))
                .order_by(Deal.close_date, Deal.name)
            )
        ),
        recent_tickets=tuple(
            TicketLine(t.subject, t.priority, t.status, t.opened_at, t.closed_at) for t in recent
        ),
        open_tickets=open_tickets or 0,
        recent_nps=tuple(
            NpsLine(n.score, n.comment, n.responded_at)
            for n in session.scalars(
                select(NpsResponse)
                .where(NpsResponse.account_id == account_id)
                .order_by(NpsResponse.responded_at.desc())
                .limit(3)
            )
        ),
        alerts=tuple(
            AlertLine(
                a.id, a.play_id, a.reason, a.state, a.severity, a.fired_at, a.resolved_at, a.owner_slack_id
            )
            for a in session.scalars(
                select(Alert)
                .where(
                    Alert.account_id == account_id,
                    or_(Alert.deliver_at.is_(None), Alert.deliver_at <= cutoff),
                )
                .order_by(Alert.fired_at.desc())
                .limit(history)
            )
        ),
        outcomes=tuple(
            OutcomeLine(o.play_id, o.result, o.what_was_done, o.next_step, o.logged_by, o.logged_at)
            for o in session.scalars(
                select(Outcome)
                .where(Outcome.account_id == account_id)
                .order_by(Outcome.logged_at.desc())
                .limit(5)
            )
        ),
    )
