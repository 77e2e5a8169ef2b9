"""Sync streams against the sandbox: full load, incremental by SystemModstamp, deletes, mapping, faults."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors.errors import ConfigurationError
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.mapping import load_mapping
from connectors.salesforce.streams import build_streams, sync_salesforce
from sandbox.httpbase import Fault
from sandbox.salesforce import SalesforceSandbox
from store import keys
from store.db import make_engine
from store.migrate import upgrade
from store.models import Account, Contact, StakeholderRole, SyncRun, Ticket
from tests.salesforce.conftest import sandbox_digest, store_digest


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every synced column of every row, except when it was synced."""
    out = {}
    for model in (Account, Contact, StakeholderRole, Ticket):
        cols = [
            c
            for c in model.__table__.columns
            if c.name not in ("synced_at", "id" if model is StakeholderRole else "")
        ]
        with engine.connect() as conn:
            rows = conn.execute(select(*cols)).all()
        out[model.__tablename__] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def test_initial_sync_makes_the_store_equal_the_sandbox(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    results = sync_salesforce(engine, build_streams(api))
    assert [(r.stream, r.status) for r in results] == [
        ("Account", "ok"),
        ("Contact", "ok"),
        ("Opportunity", "ok"),
        ("OpportunityContactRole", "ok"),
        ("Case", "ok"),
    ]
    assert store_digest(engine) == sandbox_digest(sf_sandbox)
    with engine.connect() as conn:
        acc = conn.execute(select(Account).limit(1)).one()
    source = next(a for a in sf_sandbox.records("Account") if a["Id"] == acc.crm_id)
    assert acc.domain == source["Website"].removeprefix("https://")
    assert acc.crm_owner_id.startswith("csm") and acc.extra["owner_id"] == source["OwnerId"]
    assert acc.arr == Decimal(str(source["ARR__c"])) and acc.renewal_date == date.fromisoformat(
        source["Renewal_Date__c"]
    )


def _overlap_window(records: list[dict[str, Any]]) -> tuple[int, str]:
    """How many records the next run re-reads on purpose (the 5-minute overlap before the cursor)."""
    high = max(r["SystemModstamp"] for r in records)
    floor = (datetime.fromisoformat(high) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    return sum(r["SystemModstamp"] >= floor for r in records), floor


def test_second_run_reads_only_changes_and_sees_deletes(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sync_salesforce(engine, build_streams(api))
    overlap = {
        n: _overlap_window(sf_sandbox.records(n, include_deleted=True))
        for n in ("Account", "Contact", "Case")
    }
    sf_sandbox.advance_clock(3600)
    account = next(a for a in sf_sandbox.records("Account") if a["SystemModstamp"] < overlap["Account"][1])
    sf_sandbox.update("Account", account["Id"], {"Name": "Renamed Co", "ARR__c": 12345.0})
    contact = next(c for c in sf_sandbox.records("Contact") if c["SystemModstamp"] < overlap["Contact"][1])
    sf_sandbox.delete("Contact", contact["Id"])
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["Account"].records_read == overlap["Account"][0] + 1
    assert results["Contact"].records_read == overlap["Contact"][0] + 1
    assert results["Contact"].records_deleted == 1
    assert results["Case"].records_read == overlap["Case"][0]
    with engine.connect() as conn:
        renamed = conn.execute(select(Account.name, Account.arr).where(Account.crm_id == account["Id"])).one()
        gone = conn.execute(select(Contact.is_deleted).where(Contact.crm_id == contact["Id"])).scalar_one()
    assert tuple(renamed) == ("Renamed Co", Decimal("12345.00")) and gone is True
    assert store_digest(engine) == sandbox_digest(sf_sandbox)


def test_deleted_contact_role_closes_the_stakeholder_role(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sync_salesforce(engine, build_streams(api))
    live = next(r for r in sf_sandbox.records("OpportunityContactRole") if r["Role"] == "Influencer")
    sf_sandbox.advance_clock(86400)
    sf_sandbox.delete("OpportunityContactRole", live["Id"])
    sync_salesforce(engine, build_streams(api))
    with engine.connect() as conn:
        row = conn.execute(select(StakeholderRole).where(StakeholderRole.crm_id == live["Id"])).one()
    assert row.role == "champion" and row.valid_to == sf_sandbox.server.clock.now().date()
    assert row.contact_id == keys.contact_key("salesforce", live["ContactId"])


def test_unknown_picklist_values_are_reported_not_dropped(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    case = sf_sandbox.records("Case")[0]
    sf_sandbox.update("Case", case["Id"], {"Priority": "P0 - Sev Blocker"})
    role = sf_sandbox.records("OpportunityContactRole")[0]
    sf_sandbox.update("OpportunityContactRole", role["Id"], {"Role": "Chief Troublemaker"})
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["Case"].status == "partial" and results["Case"].records_rejected == 1
    assert "unknown picklist value 'P0 - Sev Blocker'" in results["Case"].errors[0]["error"]
    assert results["OpportunityContactRole"].errors[0]["record_id"] == role["Id"]
    with engine.connect() as conn:
        ticket = conn.execute(
            select(Ticket.priority, Ticket.subject).where(Ticket.crm_id == case["Id"])
        ).one()
        runs = conn.execute(select(SyncRun.errors).where(SyncRun.stream == "Case")).scalar_one()
        assert (
            conn.execute(select(StakeholderRole).where(StakeholderRole.crm_id == role["Id"])).first() is None
        )
    assert ticket.priority is None and ticket.subject == case["Subject"]  # the rest of the case is kept
    assert runs[0]["field"] == "Priority"


def test_known_but_untracked_roles_are_skipped_quietly(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    role = sf_sandbox.records("OpportunityContactRole")[0]
    sf_sandbox.update("OpportunityContactRole", role["Id"], {"Role": "Evaluator"})
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["OpportunityContactRole"].status == "ok"
    with engine.connect() as conn:
        assert (
            conn.execute(select(StakeholderRole).where(StakeholderRole.crm_id == role["Id"])).first() is None
        )


def test_custom_field_mapping_from_yaml(
    tmp_path: Path, engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    default = (Path(__file__).parents[2] / "connectors/salesforce/mapping.yml").read_text()
    custom = tmp_path / "mapping.yml"
    custom.write_text(default.replace("arr: ARR__c", "arr: AnnualRevenue"))
    sync_salesforce(engine, build_streams(api, load_mapping(custom)))
    source = {a["Id"]: a["AnnualRevenue"] for a in sf_sandbox.records("Account")}
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Account.crm_id, Account.arr)).all())
    assert stored == {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in source.items()}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("arr: ARR__c", "not valid YAML"),
        ("    arr: ARR__c", "arr_typo is not a store column"),
        ("domain: {field: Website, transform: domain}", "bad field/transform"),
    ],
)
def test_mapping_mistakes_are_configuration_errors(tmp_path: Path, change: str, message: str) -> None:
    default = (Path(__file__).parents[2] / "connectors/salesforce/mapping.yml").read_text()
    replacement = {
        "not valid YAML": "arr: [ARR__c",
        "arr_typo is not a store column": "    arr_typo: ARR__c",
        "bad field/transform": "domain: {field: Website, transform: shout}",
    }[message]
    path = tmp_path / "m.yml"
    path.write_text(default.replace(change, replacement, 1))
    with pytest.raises(ConfigurationError, match=message.split()[0]):
        load_mapping(path)


def test_a_mapped_field_salesforce_lacks_fails_the_run_clearly(
    tmp_path: Path, engine: Engine, api: SalesforceApi
) -> None:
    default = (Path(__file__).parents[2] / "connectors/salesforce/mapping.yml").read_text()
    custom = tmp_path / "mapping.yml"
    custom.write_text(default.replace("arr: ARR__c", "arr: Annual_Recurring__c"))
    from connectors.errors import RecordRejected

    with pytest.raises(RecordRejected, match="Annual_Recurring__c"):
        sync_salesforce(engine, build_streams(api, load_mapping(custom)))


def test_ten_percent_faults_end_in_the_same_store(
    tmp_path: Path, engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    clean = make_engine(f"sqlite:///{tmp_path / 'clean.db'}")
    upgrade(clean)
    sync_salesforce(clean, build_streams(api))
    expected = _snapshot(clean)
    clean.dispose()

    for kind, extra in (
        ("status", {"status": 500}),
        ("status", {"status": 503}),
        ("drop", {}),
        ("status", {"status": 401}),
    ):
        sf_sandbox.server.faults.add(Fault(kind=kind, rate=0.025, path="^/services/data/", **extra))
    results = sync_salesforce(engine, build_streams(api))
    assert all(r.status == "ok" for r in results)
    assert len(sf_sandbox.server.faults.fired) >= 2
    assert _snapshot(engine) == expected


def test_a_child_created_after_its_parent_stream_ran_does_not_break_the_sync(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    accounts, contacts, *_ = build_streams(api)
    sync_salesforce(engine, [accounts])
    sf_sandbox.advance_clock(60)
    new_account = sf_sandbox.create("Account", {"Name": "Late Arrival GmbH"})
    new_contact = sf_sandbox.create("Contact", {"AccountId": new_account, "LastName": "Late"})
    sync_salesforce(engine, [contacts])  # the account's stream has not seen it yet
    with engine.connect() as conn:
        placeholder = conn.execute(select(Account.name).where(Account.crm_id == new_account)).scalar_one()
    assert placeholder == ""
    results = sync_salesforce(engine, build_streams(api))
    assert all(r.status == "ok" for r in results)
    with engine.connect() as conn:
        assert conn.execute(select(Account.name).where(Account.crm_id == new_account)).scalar_one() == (
            "Late Arrival GmbH"
        )
        contact_account = conn.execute(
            select(Contact.account_id).where(Contact.crm_id == new_contact)
        ).scalar_one()
    assert contact_account == keys.account_key("salesforce", new_account)
    assert store_digest(engine) == sandbox_digest(sf_sandbox)


def test_a_new_parent_after_a_page_of_only_deletes_is_written_first(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    """A transaction whose first Salesforce page holds only deleted Cases (no parent references) and
    whose next page holds a Case of an account created after the Account stream ran: the placeholder
    account must be inserted before the case, whatever page brought it."""
    sync_salesforce(engine, build_streams(api))
    cases = sf_sandbox.records("Case")
    assert len(cases) > 25
    sf_sandbox.advance_clock(3600)
    for case in cases[:25]:  # exactly one Salesforce page (25 records) of deletes
        sf_sandbox.delete("Case", case["Id"])
    case_stream = build_streams(api, records_per_commit=50)[-1]
    assert case_stream.name == "Case"
    sync_salesforce(engine, [case_stream])  # the cursor moves to the deletes
    sf_sandbox.advance_clock(3600)
    new_account = sf_sandbox.create("Account", {"Name": "Brand New Co"})
    new_case = sf_sandbox.create(
        "Case", {"AccountId": new_account, "Subject": "help", "Priority": "High", "Status": "New"}
    )
    (result,) = sync_salesforce(engine, [case_stream])  # re-reads the deletes (overlap), then the case
    assert (result.status, result.records_read, result.records_deleted) == ("ok", 26, 25)
    with engine.connect() as conn:
        ticket_account = conn.execute(select(Ticket.account_id).where(Ticket.crm_id == new_case)).scalar_one()
    assert ticket_account == keys.account_key("salesforce", new_account)


def test_pages_are_merged_into_transactions_of_records_per_commit(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    """Salesforce pages (25 here) are written 50 records to a transaction; the merged page carries the
    cursor of its last Salesforce page, and the store still ends up equal to the sandbox."""
    contacts = len(sf_sandbox.records("Contact", include_deleted=True))
    assert contacts > 25  # two or more Salesforce pages
    stream = next(s for s in build_streams(api, records_per_commit=50) if s.name == "Contact")
    pages = list(stream.pages({}, full=True))
    assert len(pages) == -(-contacts // 50)
    assert [p.records_read for p in pages[:-1]] == [50] * (len(pages) - 1)
    assert sum(p.records_read for p in pages) == contacts
    assert sum(p.requests_made for p in pages) == -(-contacts // 25)
    highest = max(r["SystemModstamp"] for r in sf_sandbox.records("Contact", include_deleted=True))
    assert pages[-1].cursor == {"system_modstamp": highest}
    sync_salesforce(engine, build_streams(api, records_per_commit=50), full=True)
    assert store_digest(engine) == sandbox_digest(sf_sandbox)
