"""Contact roles edited in Salesforce: a spell per OpportunityContactRole, closed when the record changes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from simple_salesforce import Salesforce
from sqlalchemy import Engine, select

from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.streams import build_streams, sync_salesforce
from sandbox.salesforce import SalesforceSandbox
from store import keys
from store.models import StakeholderRole
from store.scoring_inputs import fetch_inputs
from store.uow import unit_of_work


def _spells(engine: Engine, crm_id: str) -> list[tuple[Any, ...]]:
    """(contact crm key, role, valid_from, valid_to) of the record's spells, oldest first."""
    sr = StakeholderRole
    with engine.connect() as conn:
        rows = conn.execute(
            select(sr.contact_id, sr.role, sr.valid_from, sr.valid_to)
            .where(sr.source == "salesforce", sr.crm_id == crm_id)
            .order_by(sr.valid_from, sr.id)
        ).all()
    return [tuple(r) for r in rows]


def _champion(sf_sandbox: SalesforceSandbox) -> dict[str, Any]:
    return next(r for r in sf_sandbox.records("OpportunityContactRole") if r["Role"] == "Influencer")


def _today(sf_sandbox: SalesforceSandbox) -> date:
    return sf_sandbox.server.clock.now().date()


def test_a_role_edited_in_place_ends_the_old_spell_and_starts_the_new(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    ocr = _champion(sf_sandbox)
    contact = keys.contact_key("salesforce", ocr["ContactId"])
    [(_, _, since, _)] = _spells(engine, ocr["Id"])
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.update(ocr["Id"], {"Role": "Executive Sponsor"})
    sync_salesforce(engine, build_streams(api))
    today = _today(sf_sandbox)
    assert _spells(engine, ocr["Id"]) == [
        (contact, "champion", since, today),
        (contact, "exec_sponsor", today, None),
    ]


def test_a_role_changed_to_an_untracked_value_ends_the_spell(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    ocr = _champion(sf_sandbox)
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.update(ocr["Id"], {"Role": "Evaluator"})  # mapped to null
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["OpportunityContactRole"].status == "ok"
    [(_, role, _, valid_to)] = _spells(engine, ocr["Id"])
    assert (role, valid_to) == ("champion", _today(sf_sandbox))


def test_an_unknown_role_value_is_reported_and_leaves_the_spell_open(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    ocr = _champion(sf_sandbox)
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.update(ocr["Id"], {"Role": "Chief Troublemaker"})
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["OpportunityContactRole"].errors[0]["record_id"] == ocr["Id"]
    [(_, role, _, valid_to)] = _spells(engine, ocr["Id"])
    assert (role, valid_to) == ("champion", None)


def test_a_role_moved_to_another_contact_moves_the_spell(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    ocr = _champion(sf_sandbox)
    account_id = next(
        o["AccountId"] for o in sf_sandbox.records("Opportunity") if o["Id"] == ocr["OpportunityId"]
    )
    [(_, _, since, _)] = _spells(engine, ocr["Id"])
    sf_sandbox.advance_clock(86400)
    other = sf.Contact.create(
        {"AccountId": account_id, "LastName": "Successor", "Email": "successor@example.com"}
    )["id"]
    sf.OpportunityContactRole.update(ocr["Id"], {"ContactId": other})
    sync_salesforce(engine, build_streams(api))
    today = _today(sf_sandbox)
    assert _spells(engine, ocr["Id"]) == [
        (keys.contact_key("salesforce", ocr["ContactId"]), "champion", since, today),
        (keys.contact_key("salesforce", other), "champion", today, None),
    ]


def test_changed_and_changed_back_keeps_each_spell(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    ocr = _champion(sf_sandbox)
    contact = keys.contact_key("salesforce", ocr["ContactId"])
    [(_, _, since, _)] = _spells(engine, ocr["Id"])
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.update(ocr["Id"], {"Role": "Executive Sponsor"})
    sync_salesforce(engine, build_streams(api))
    changed = _today(sf_sandbox)
    sf_sandbox.advance_clock(3 * 86400)
    sf.OpportunityContactRole.update(ocr["Id"], {"Role": "Influencer"})
    sync_salesforce(engine, build_streams(api))
    back = _today(sf_sandbox)
    assert _spells(engine, ocr["Id"]) == [
        (contact, "champion", since, changed),
        (contact, "exec_sponsor", changed, back),
        (contact, "champion", back, None),
    ]


def test_a_record_read_again_unchanged_changes_nothing(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    """Re-read by the next run's overlap, or touched without changing its role (IsPrimary)."""
    sync_salesforce(engine, build_streams(api))
    changed = _champion(sf_sandbox)
    touched = next(r for r in sf_sandbox.records("OpportunityContactRole") if r["Id"] != changed["Id"])
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.update(changed["Id"], {"Role": "Technical Buyer"})
    sf.OpportunityContactRole.update(touched["Id"], {"IsPrimary": not touched["IsPrimary"]})
    sync_salesforce(engine, build_streams(api))
    with engine.connect() as conn:
        before = sorted(tuple(map(str, r)) for r in conn.execute(select(StakeholderRole)).all())
    sf_sandbox.advance_clock(60)  # within the 5-minute overlap: both records are read again
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["OpportunityContactRole"].records_read >= 2
    with engine.connect() as conn:
        after = sorted(tuple(map(str, r)) for r in conn.execute(select(StakeholderRole)).all())
    assert after == before
    assert [s[3] for s in _spells(engine, touched["Id"])] == [None]


def _twin_roles(sf: Salesforce, sf_sandbox: SalesforceSandbox) -> tuple[str, str, str, str]:
    """A new account whose one contact is champion (Influencer) on its renewal and on its upsell
    opportunity, both contact roles created the same day: (account id, contact id, renewal role id,
    upsell role id), the ids Salesforce's."""
    account = sf.Account.create({"Name": "Twin Deals Co"})["id"]
    contact = sf.Contact.create({"AccountId": account, "LastName": "Champ", "Email": "champ@twin.example"})[
        "id"
    ]
    ocrs = []
    for name, kind in (("Renewal 2027", "Renewal"), ("Upsell seats", "Existing Customer - Upgrade")):
        opp = sf.Opportunity.create(
            {
                "AccountId": account,
                "Name": name,
                "StageName": "Proposal",
                "CloseDate": "2027-03-01",
                "Type": kind,
            }
        )["id"]
        ocrs.append(
            sf.OpportunityContactRole.create(
                {"OpportunityId": opp, "ContactId": contact, "Role": "Influencer"}
            )["id"]
        )
    created = {
        r["Id"]: r["CreatedDate"] for r in sf_sandbox.records("OpportunityContactRole") if r["Id"] in ocrs
    }
    assert (
        len({str(c)[:10] for c in created.values()}) == 1
    )  # the same day: the same (account, contact, role, valid_from)
    return account, contact, ocrs[0], ocrs[1]


def _champion_inputs(engine: Engine, account: str, day: date) -> tuple[Any, Any]:
    """(stakeholders row, champion_left row) of the account in the scoring inputs as of `day`."""
    with unit_of_work(engine) as session:
        rows = fetch_inputs(session, day, [account])
    return rows.stakeholders.get(account), rows.champion_left.get(account)


def test_two_contact_roles_with_the_same_role_and_day_keep_a_spell_each(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    account, contact, renewal, upsell = _twin_roles(sf, sf_sandbox)
    sync_salesforce(engine, build_streams(api))
    today, contact_key = _today(sf_sandbox), keys.contact_key("salesforce", contact)
    assert _spells(engine, renewal) == [(contact_key, "champion", today, None)]
    assert _spells(engine, upsell) == [(contact_key, "champion", today, None)]
    stakeholders, left = _champion_inputs(engine, keys.account_key("salesforce", account), today)
    assert (stakeholders.engaged, stakeholders.has_champion, left) == (1, 1, None)  # one person, counted once


def test_deleting_one_of_two_contact_roles_keeps_the_champion(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    """The contact is still champion on the upsell: deleting the renewal's contact role ends only that
    record's spell, and the scoring inputs see no champion departure."""
    sync_salesforce(engine, build_streams(api))
    account, contact, renewal, upsell = _twin_roles(sf, sf_sandbox)
    sync_salesforce(engine, build_streams(api))
    since, contact_key = _today(sf_sandbox), keys.contact_key("salesforce", contact)
    sf_sandbox.advance_clock(2 * 86400)
    sf.OpportunityContactRole.delete(renewal)
    sync_salesforce(engine, build_streams(api))
    today = _today(sf_sandbox)
    assert _spells(engine, renewal) == [(contact_key, "champion", since, today)]
    assert _spells(engine, upsell) == [(contact_key, "champion", since, None)]
    for day in (today, today + timedelta(days=3)):
        stakeholders, left = _champion_inputs(engine, keys.account_key("salesforce", account), day)
        assert (stakeholders.engaged, stakeholders.has_champion, left) == (1, 1, None)


def test_changing_one_of_two_contact_roles_ends_only_its_spell(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi, sf: Salesforce
) -> None:
    sync_salesforce(engine, build_streams(api))
    account, contact, renewal, upsell = _twin_roles(sf, sf_sandbox)
    sync_salesforce(engine, build_streams(api))
    since, contact_key = _today(sf_sandbox), keys.contact_key("salesforce", contact)
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.update(upsell, {"Role": "Executive Sponsor"})
    sync_salesforce(engine, build_streams(api))
    today = _today(sf_sandbox)
    assert _spells(engine, renewal) == [(contact_key, "champion", since, None)]
    assert _spells(engine, upsell) == [
        (contact_key, "champion", since, today),
        (contact_key, "exec_sponsor", today, None),
    ]
    stakeholders, left = _champion_inputs(engine, keys.account_key("salesforce", account), today)
    assert (stakeholders.engaged, stakeholders.has_champion, left) == (1, 1, None)
    sf_sandbox.advance_clock(86400)
    sf.OpportunityContactRole.delete(renewal)  # now the champion role is gone for good
    sync_salesforce(engine, build_streams(api))
    gone = _today(sf_sandbox)
    stakeholders, left = _champion_inputs(engine, keys.account_key("salesforce", account), gone)
    assert (stakeholders.engaged, stakeholders.has_champion) == (1, 0)  # still exec sponsor
    assert (left.contact_id, left.valid_to) == (contact_key, gone)
