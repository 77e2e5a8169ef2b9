"""Helpers for the HubSpot tests: the store against the sandbox portal (counts and checksums per object,
current roles) and write-back payloads."""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from sandbox.hubspot import HubSpotSandbox
from store import keys
from store.models import Account, Contact, Deal, StakeholderRole, Ticket
from store.uow import unit_of_work


def _digest(rows: list[Any]) -> str:
    return hashlib.sha256(json.dumps(sorted(rows), default=str).encode()).hexdigest()


def sandbox_state(sandbox: HubSpotSandbox) -> dict[str, Any]:
    def rows(object_type: str, *names: str) -> list[Any]:
        return [[str(r.id), *(r.props.get(n) for n in names)] for r in sandbox.records(object_type)]

    companies = rows("companies", "name", "retainer_arr")
    contacts = rows("contacts", "email", "associatedcompanyid")
    deals = rows("deals", "dealname", "amount")
    tickets = rows("tickets", "subject")
    roles = [
        [keys.account_key("hubspot", str(a)), keys.contact_key("hubspot", str(c)), role]
        for a, c, role in sandbox.role_labels()
    ]
    return _summary(companies, contacts, deals, tickets, roles)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def store_state(engine: Engine) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        crm_of = {a: c for a, c in s.execute(select(Account.id, Account.crm_id))}
        live = Account.source == "hubspot"
        companies = [
            [a.crm_id, a.name, _money(a.arr)]
            for a in s.scalars(select(Account).where(live, Account.is_deleted.is_(False)))
        ]
        contacts = [
            [c.crm_id, c.email, crm_of.get(c.account_id or "")]
            for c in s.scalars(select(Contact).where(Contact.is_deleted.is_(False)))
        ]
        deals = [
            [d.crm_id, d.name, _money(d.amount)]
            for d in s.scalars(select(Deal).where(Deal.is_deleted.is_(False)))
        ]
        tickets = [
            [t.crm_id, t.subject] for t in s.scalars(select(Ticket).where(Ticket.is_deleted.is_(False)))
        ]
        roles = [
            [r.account_id, r.contact_id, r.role]
            for r in s.scalars(select(StakeholderRole).where(StakeholderRole.valid_to.is_(None)))
        ]
    return _summary(companies, contacts, deals, tickets, roles)


def _summary(*tables: list[list[Any]]) -> dict[str, Any]:
    """Counts and digests of (companies, contacts, deals, tickets, roles): the sandbox's and the store's
    compare equal exactly when the two hold the same records."""
    names = ("companies", "contacts", "deals", "tickets", "roles")
    return {"counts": [len(t) for t in tables], **{n: _digest(t) for n, t in zip(names, tables, strict=True)}}


def champion_and_peer(labels: list[tuple[int, int, str]]) -> tuple[int, int, int]:
    """(company, its champion contact, another contact of that company) from the sandbox's role labels."""
    return next(
        (a, c, other)
        for a, c, r in labels
        if r == "champion"
        for b, other, _ in labels
        if b == a and other != c
    )


def outcome_payload(sandbox: HubSpotSandbox, status: str = "Completed", **extra: object) -> dict[str, object]:
    """An outcome write-back payload for the sandbox's first company and contact."""
    company = sandbox.ids("companies")[0]
    contact = sandbox.ids("contacts")[0]
    return {
        "account_crm_id": str(company),
        "contact_crm_id": str(contact),
        "subject": "Usage decline: <b>call</b> & review",
        "body": "Agreed a training plan <!channel>",
        "status": status,
        "activity_date": "2026-11-20",
        "outcome_id": str(uuid.uuid4()),
        **extra,
    }
