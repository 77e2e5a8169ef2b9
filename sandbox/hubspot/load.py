"""Loading the synthetic portfolio into the sandbox portal: companies, contacts, deals, tickets and
their associations (with the stakeholder labels for current roles)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sandbox.hubspot.schema import association_type, inverse
from sandbox.hubspot.state import State, iso_ms, to_ms
from sandbox.portfolio_records import PAccount

INDUSTRY = {
    "Software": "COMPUTER_SOFTWARE",
    "Financial Services": "FINANCIAL_SERVICES",
    "Healthcare": "HOSPITAL_HEALTH_CARE",
    "Retail": "RETAIL",
    "Manufacturing": "MACHINERY",
    "Education": "EDUCATION_MANAGEMENT",
    "Media": "BROADCAST_MEDIA",
    "Logistics": "LOGISTICS_AND_SUPPLY_CHAIN",
    "Energy": "OIL_ENERGY",
    "Hospitality": "HOSPITALITY",
}
DEAL_STAGE = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "qualifiedtobuy",
    "Proposal": "presentationscheduled",
    "Negotiation": "contractsent",
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
}
DEAL_TYPE = {"new_business": "newbusiness", "renewal": "renewal", "expansion": "expansion"}
TICKET_STAGE = {"new": "1", "working": "2", "closed": "4"}
ROLE_LABEL_TYPE = {"champion": 101, "exec_sponsor": 103, "admin": 105, "finance": 107}


def owner_id(email: str) -> str:
    """The portal's owner id for a CSM email (`csm007@...` -> "80000007")."""
    return str(80_000_000 + int(email.split("@")[0].removeprefix("csm")))


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _midnight_iso(d: date) -> str:
    return iso_ms(to_ms(datetime.combine(d, time(), tzinfo=UTC)))


def _links(
    a_type: str, a_id: int, b_type: str, b_id: int, *type_ids: int
) -> list[tuple[str, int, str, int, int, str]]:
    out = []
    for type_id in type_ids:
        t = association_type(a_type, b_type, type_id)
        assert t is not None, (a_type, b_type, type_id)
        back = inverse(t)
        out.append((a_type, a_id, b_type, b_id, t.type_id, t.category))
        out.append((b_type, b_id, a_type, a_id, back.type_id, back.category))
    return out


def load_accounts(
    state: State,
    accounts: Iterable[PAccount],
    *,
    batch: int = 2000,
    with_tickets: bool = True,
    deal_currency: str | None = None,
) -> int:
    """Load accounts in batches; returns how many were loaded. `deal_currency`: every deal's
    `deal_currency_code` (a multi-currency account's deals each name their currency)."""
    chunk: list[PAccount] = []
    loaded = 0
    for acc in accounts:
        chunk.append(acc)
        if len(chunk) >= batch:
            loaded += _load_chunk(state, chunk, with_tickets, deal_currency)
            chunk = []
    if chunk:
        loaded += _load_chunk(state, chunk, with_tickets, deal_currency)
    return loaded


def _load_chunk(state: State, accounts: list[PAccount], with_tickets: bool, deal_currency: str | None) -> int:
    company_ids = state.insert_many(
        "companies",
        [
            (
                {
                    "name": a.name,
                    "domain": a.domain,
                    "industry": INDUSTRY[a.industry],
                    "hubspot_owner_id": owner_id(a.owner_email),
                    "retainer_arr": f"{a.arr:.2f}",
                    "retainer_contract_start": _day(a.contract_start),
                    "retainer_renewal_date": _day(a.renewal_date),
                    "lifecyclestage": "customer",
                },
                to_ms(a.created_at),
                to_ms(a.modified_at),
            )
            for a in accounts
        ],
    )
    company_of = {a.key: cid for a, cid in zip(accounts, company_ids, strict=True)}
    contacts = [c for a in accounts for c in a.contacts]
    modified = {a.key: to_ms(a.modified_at) for a in accounts}
    created = {a.key: to_ms(a.created_at) for a in accounts}
    contact_rows: list[tuple[dict[str, Any], int, int]] = [
        (
            {
                "firstname": c.first_name,
                "lastname": c.last_name,
                "email": c.email,
                "jobtitle": c.title,
                "associatedcompanyid": str(company_of[c.account_key]),
                "retainer_left_company_on": _day(c.left_on),
            },
            created[c.account_key],
            modified[c.account_key],
        )
        for c in contacts
    ]
    contact_ids = state.insert_many("contacts", contact_rows)
    contact_of = {c.key: cid for c, cid in zip(contacts, contact_ids, strict=True)}
    deals = [d for a in accounts for d in a.deals]
    deal_ids = state.insert_many(
        "deals",
        [
            (
                {
                    "dealname": d.name,
                    "dealstage": DEAL_STAGE[d.stage],
                    "dealtype": DEAL_TYPE[d.kind],
                    "pipeline": "default",
                    "amount": f"{d.amount:.2f}",
                    "closedate": _midnight_iso(d.close_date),
                    **({"deal_currency_code": deal_currency} if deal_currency else {}),
                },
                created[d.account_key],
                modified[d.account_key],
            )
            for d in deals
        ],
    )
    tickets = [t for a in accounts for t in a.tickets] if with_tickets else []
    ticket_ids = state.insert_many(
        "tickets",
        [
            (
                {
                    "subject": t.subject,
                    "hs_pipeline_stage": TICKET_STAGE[t.status],
                    "hs_ticket_priority": t.priority.upper(),
                    "hs_pipeline": "0",
                    "closed_date": iso_ms(to_ms(t.closed_at)) if t.closed_at else None,
                },
                to_ms(t.opened_at),
                to_ms(t.closed_at or t.opened_at),
            )
            for t in tickets
        ],
    )
    links: list[tuple[str, int, str, int, int, str]] = []
    for c in contacts:
        labels = [
            ROLE_LABEL_TYPE[s.role] for s in c.roles if s.valid_to is None and s.role in ROLE_LABEL_TYPE
        ]
        links += _links(
            "companies", company_of[c.account_key], "contacts", contact_of[c.key], 2, 280, *labels
        )
    for d, did in zip(deals, deal_ids, strict=True):
        links += _links("deals", did, "companies", company_of[d.account_key], 5, 341)
    for t, tid in zip(tickets, ticket_ids, strict=True):
        links += _links("tickets", tid, "companies", company_of[t.account_key], 26, 339)
        if t.contact_key:
            links += _links("tickets", tid, "contacts", contact_of[t.contact_key], 16)
    state.associate_many(links)
    return len(accounts)
