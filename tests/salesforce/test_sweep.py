"""Reconciliation against the Salesforce sandbox: records purged from the recycle bin before an
incremental run saw them deleted (the bot was down longer than the bin keeps them) are marked deleted by
the next full sync, and only by it."""

from __future__ import annotations

from sqlalchemy import Engine, select

from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.streams import build_streams, sync_salesforce
from sandbox.salesforce import SalesforceSandbox
from store import keys
from store.models import Account, Contact, Deal, StakeholderRole
from store.uow import unit_of_work


def _live(engine: Engine, model: type[Account] | type[Contact] | type[Deal]) -> set[str | None]:
    with unit_of_work(engine) as session:
        return set(session.scalars(select(model.crm_id).where(model.is_deleted.is_(False))))


def test_a_full_sync_reconciles_records_purged_before_any_run_saw_them_deleted(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sync_salesforce(engine, build_streams(api), full=True)
    account = sf_sandbox.records("Account")[2]["Id"]
    contacts = {c["Id"] for c in sf_sandbox.records("Contact") if c["AccountId"] == account}
    deals = {o["Id"] for o in sf_sandbox.records("Opportunity") if o["AccountId"] == account}
    assert contacts and deals
    sf_sandbox.advance_clock(60)
    sf_sandbox.delete("Account", account)  # cascades to its contacts, opportunities and cases
    assert sf_sandbox.empty_recycle_bin() >= 1 + len(contacts) + len(deals)
    sf_sandbox.advance_clock(60)

    sync_salesforce(engine, build_streams(api))
    assert account in _live(engine, Account) and contacts <= _live(engine, Contact)

    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api), full=True)}
    assert account not in _live(engine, Account)
    assert not contacts & _live(engine, Contact) and not deals & _live(engine, Deal)
    assert _live(engine, Account) == {r["Id"] for r in sf_sandbox.records("Account")}
    assert results["Account"].records_deleted == 1 and results["Contact"].records_deleted == len(contacts)
    assert all(r.status == "ok" for r in results.values())
    with unit_of_work(engine) as session:
        row = session.get(Account, keys.account_key("salesforce", account))
        assert row is not None and row.is_deleted  # kept, marked: its history and alerts stay readable


def test_a_full_sync_ends_the_spell_of_a_contact_role_purged_unseen(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sync_salesforce(engine, build_streams(api), full=True)
    role = next(r for r in sf_sandbox.records("OpportunityContactRole") if r["Role"] == "Influencer")
    other = next(
        r["Id"]
        for r in sf_sandbox.records("OpportunityContactRole")
        if r["Id"] != role["Id"] and r["Role"] in ("Influencer", "Executive Sponsor", "Economic Buyer")
    )
    sf_sandbox.advance_clock(60)
    sf_sandbox.delete("OpportunityContactRole", role["Id"])
    sf_sandbox.empty_recycle_bin()

    sync_salesforce(engine, build_streams(api))
    assert _open_spells(engine, role["Id"]) == 1  # an incremental run never hears of it

    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api), full=True)}
    assert _open_spells(engine, role["Id"]) == 0 and _open_spells(engine, other) == 1
    assert results["OpportunityContactRole"].records_deleted == 1
    assert results["OpportunityContactRole"].status == "ok"


def _open_spells(engine: Engine, crm_id: str) -> int:
    with unit_of_work(engine) as session:
        spells = session.scalars(
            select(StakeholderRole).where(
                StakeholderRole.crm_id == crm_id, StakeholderRole.valid_to.is_(None)
            )
        )
        return len(list(spells))
