"""Fixtures: a small Salesforce sandbox (HTTPS, real simple-salesforce), the connector's API over it,
and digests that compare the store with the sandbox."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from simple_salesforce import Salesforce
from sqlalchemy import Engine, select

from connectors.salesforce.api import RetryPolicy, SalesforceApi
from connectors.salesforce.client import SalesforceConfig
from sandbox.portfolio import generate
from sandbox.salesforce import SalesforceSandbox, start_salesforce
from sandbox.salesforce.seed import ROLE_TO_SF
from store import keys
from store.models import Account, Contact, Deal, StakeholderRole, Ticket

ACCOUNTS = 12
PAGE_SIZE = 25
FAST_RETRY = RetryPolicy(attempts=6, wait_multiplier=0.01, wait_max=0.05)


@pytest.fixture
def sf_sandbox(tmp_path: Path) -> Iterator[SalesforceSandbox]:
    sandbox = start_salesforce(generate(ACCOUNTS, seed=7), state_dir=tmp_path / "sf", page_size=PAGE_SIZE)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[SalesforceSandbox]:
    """A multi-currency org (see `sandbox.salesforce.org` for its rates)."""
    sandbox = start_salesforce(
        generate(ACCOUNTS, seed=7), state_dir=tmp_path / "sf-multi", page_size=PAGE_SIZE, multi_currency=True
    )
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sf(sf_sandbox: SalesforceSandbox) -> Salesforce:
    return Salesforce(**sf_sandbox.client_kwargs())


def sf_config(
    sandbox: SalesforceSandbox, *, connected_app: bool = True, timeout: float = 5.0
) -> SalesforceConfig:
    info = sandbox.info()
    return SalesforceConfig(
        instance_url=info["instance_url"],
        session_id=SecretStr(info["session_id"]),
        consumer_key=SecretStr(sandbox.consumer_key) if connected_app else None,
        consumer_secret=SecretStr(sandbox.consumer_secret) if connected_app else None,
        api_version=info["api_version"],
        ca_file=Path(info["ca_file"]),
        timeout=timeout,
    )


@pytest.fixture
def api(sf_sandbox: SalesforceSandbox) -> SalesforceApi:
    return SalesforceApi(sf_config(sf_sandbox), retry=FAST_RETRY)


def _money(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}"


def _digest(rows: list[tuple[Any, ...]]) -> tuple[int, str]:
    text = "\n".join(repr(tuple("" if v is None else str(v) for v in row)) for row in sorted(rows, key=repr))
    return len(rows), hashlib.sha256(text.encode()).hexdigest()


def store_digest(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table: (rows, checksum) over the columns the sandbox can be checked against."""
    with engine.connect() as conn:
        accounts = conn.execute(
            select(Account.crm_id, Account.name, Account.arr, Account.renewal_date, Account.is_deleted)
        ).all()
        contacts = conn.execute(
            select(Contact.crm_id, Contact.account_id, Contact.email, Contact.is_deleted)
        ).all()
        deals = conn.execute(
            select(Deal.crm_id, Deal.account_id, Deal.stage, Deal.amount, Deal.is_deleted)
        ).all()
        tickets = conn.execute(
            select(Ticket.crm_id, Ticket.account_id, Ticket.subject, Ticket.is_deleted)
        ).all()
        roles = conn.execute(
            select(
                StakeholderRole.crm_id,
                StakeholderRole.contact_id,
                StakeholderRole.role,
                StakeholderRole.valid_to,
            )
        ).all()
    return {
        "accounts": _digest([(r[0], r[1], _money(r[2]), r[3], bool(r[4])) for r in accounts]),
        "contacts": _digest([(r[0], r[1], r[2], bool(r[3])) for r in contacts]),
        "deals": _digest([(r[0], r[1], r[2], _money(r[3]), bool(r[4])) for r in deals]),
        "tickets": _digest([(r[0], r[1], r[2], bool(r[3])) for r in tickets]),
        "roles": _digest([tuple(r) for r in roles]),
    }


def sandbox_digest(sandbox: SalesforceSandbox) -> dict[str, tuple[int, str]]:
    """The same digest computed from the sandbox's own records (deleted ones included)."""
    ours = {v: k for k, v in ROLE_TO_SF.items()}
    recs = {
        name: sandbox.records(name, include_deleted=True)
        for name in ("Account", "Contact", "Opportunity", "OpportunityContactRole", "Case")
    }
    opp_account = {o["Id"]: o["AccountId"] for o in recs["Opportunity"]}
    ak = lambda i: keys.account_key("salesforce", i) if i else None  # noqa: E731
    return {
        "accounts": _digest(
            [
                (a["Id"], a["Name"], _money(a["ARR__c"]), a["Renewal_Date__c"], a["IsDeleted"])
                for a in recs["Account"]
            ]
        ),
        "contacts": _digest(
            [(c["Id"], ak(c["AccountId"]), c["Email"], c["IsDeleted"]) for c in recs["Contact"]]
        ),
        "deals": _digest(
            [
                (o["Id"], ak(o["AccountId"]), o["StageName"], _money(o["Amount"]), o["IsDeleted"])
                for o in recs["Opportunity"]
            ]
        ),
        "tickets": _digest(
            [(t["Id"], ak(t["AccountId"]), t["Subject"], t["IsDeleted"]) for t in recs["Case"]]
        ),
        "roles": _digest(
            [
                (
                    r["Id"],
                    keys.contact_key("salesforce", r["ContactId"]),
                    ours[r["Role"]],
                    r["SystemModstamp"][:10] if r["IsDeleted"] else None,
                )
                for r in recs["OpportunityContactRole"]
                if opp_account.get(r["OpportunityId"])
            ]
        ),
    }
