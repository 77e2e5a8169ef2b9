"""Contract tests: the real simple-salesforce against the sandbox, for every call the connector makes."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from sandbox.portfolio import generate
from sandbox.salesforce import SalesforceSandbox, start_salesforce
from sandbox.salesforce.ids import case_safe_suffix, to_18
from tests.salesforce.conftest import PAGE_SIZE


def test_ids_look_like_salesforce_ids(sf: Salesforce) -> None:
    accounts = sf.query("SELECT Id FROM Account")["records"]
    ids = [a["Id"] for a in accounts]
    assert all(len(i) == 18 and i.startswith("001") and case_safe_suffix(i[:15]) == i[15:] for i in ids)
    assert to_18(ids[0][:15]) == ids[0]
    assert len(set(i.lower() for i in ids)) == len(ids)


def test_query_pages_with_relative_next_records_url(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    first = sf.query("SELECT Id, Subject FROM Case ORDER BY SystemModstamp, Id")
    assert first["done"] is False and len(first["records"]) == PAGE_SIZE
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    records = list(sf.query_all_iter("SELECT Id, Subject FROM Case ORDER BY SystemModstamp, Id"))
    assert len(records) == first["totalSize"] > 2 * PAGE_SIZE  # three pages or more
    assert len({r["Id"] for r in records}) == len(records)
    assert sf_sandbox.server.log.count("GET", r"/query/01g") >= 2
    assert records[0]["attributes"]["type"] == "Case" and set(records[0]) == {"attributes", "Id", "Subject"}


def _released(sf: Salesforce, next_url: str) -> str:
    """The errorCode Salesforce answers a `nextRecordsUrl` with ("" when it still serves the page)."""
    try:
        sf.query_more(next_url, identifier_is_url=True)
    except SalesforceMalformedRequest as exc:
        return str(exc.content[0]["errorCode"])
    return ""


def test_a_cursor_idle_fifteen_minutes_is_released(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    first = sf.query("SELECT Id FROM Case ORDER BY SystemModstamp, Id")
    sf_sandbox.advance_clock(14 * 60)
    page = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)  # in use: the idle time restarts
    sf_sandbox.advance_clock(14 * 60)
    assert _released(sf, page["nextRecordsUrl"]) == ""
    sf_sandbox.advance_clock(15 * 60 + 1)
    assert _released(sf, page["nextRecordsUrl"]) == "INVALID_QUERY_LOCATOR"


def test_an_eleventh_cursor_releases_the_oldest(sf: Salesforce) -> None:
    urls = [sf.query("SELECT Id FROM Case")["nextRecordsUrl"] for _ in range(11)]
    assert _released(sf, urls[0]) == "INVALID_QUERY_LOCATOR"
    assert [_released(sf, url) for url in urls[1:]] == [""] * 10
    assert sf.query("SELECT Id FROM Account")["done"] is True  # one page: no cursor to count
    assert _released(sf, urls[1]) == ""


def test_soql_where_order_limit_and_relationships(sf: Salesforce) -> None:
    accounts = sf.query("SELECT Id, Name, ARR__c FROM Account ORDER BY ARR__c DESC LIMIT 3")["records"]
    assert [a["ARR__c"] for a in accounts] == sorted((a["ARR__c"] for a in accounts), reverse=True)
    top = accounts[0]
    same = sf.query(
        f"SELECT Id, Owner.Email FROM Account WHERE (Id = '{top['Id']}' OR Name = 'nope') AND ARR__c >= 0"
    )["records"]
    assert [a["Id"] for a in same] == [top["Id"]]
    assert same[0]["Owner"]["Email"].endswith("@retainer.example")
    roles = sf.query(
        "SELECT Id, Opportunity.AccountId FROM OpportunityContactRole "
        f"WHERE Opportunity.AccountId = '{top['Id']}'"
    )["records"]
    assert roles and all(r["Opportunity"]["AccountId"] == top["Id"] for r in roles)
    recent = sf.query("SELECT Id FROM Case WHERE SystemModstamp >= 2026-01-01T00:00:00Z")["totalSize"]
    older = sf.query("SELECT Id FROM Case WHERE SystemModstamp < 2026-01-01T00:00:00Z")["totalSize"]
    assert recent + older == sf.query("SELECT Id FROM Case")["totalSize"]


def test_query_all_returns_deleted_records(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    case = sf.query("SELECT Id FROM Case LIMIT 1")["records"][0]
    sf.Case.delete(case["Id"])
    live = {r["Id"] for r in sf.query_all("SELECT Id FROM Case")["records"]}
    every = sf.query_all("SELECT Id, IsDeleted FROM Case", include_deleted=True)["records"]
    assert case["Id"] not in live
    assert {r["Id"]: r["IsDeleted"] for r in every}[case["Id"]] is True
    with pytest.raises(SalesforceResourceNotFound):
        sf.Case.get(case["Id"])


def test_deleting_an_account_cascades(sf: Salesforce) -> None:
    account = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    sf.Account.delete(account)
    assert sf.query(f"SELECT Id FROM Contact WHERE AccountId = '{account}'")["totalSize"] == 0
    gone = sf.query_all(
        f"SELECT Id FROM Contact WHERE AccountId = '{account}' AND IsDeleted = true", include_deleted=True
    )
    assert gone["totalSize"] > 0


def test_crud_maintains_system_modstamp(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    account = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    created = sf.Contact.create({"AccountId": account, "LastName": "Nguyen", "Email": "n@example.com"})
    assert created["success"] and created["id"].startswith("003")
    before = sf.Contact.get(created["id"])["SystemModstamp"]
    sf_sandbox.advance_clock(60)
    assert sf.Contact.update(created["id"], {"Title": "CTO"}) == 204
    after = sf.Contact.get(created["id"])
    assert after["Title"] == "CTO" and after["SystemModstamp"] > before
    assert after["LastName"] == "Nguyen"


def test_upsert_by_external_id_creates_then_updates(sf: Salesforce) -> None:
    account = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    body = {"Subject": "Renewal call", "Status": "Completed", "WhatId": account}
    first = sf.Task.upsert("Retainer_Key__c/outcome-1", body, raw_response=True)
    again = sf.Task.upsert(
        "Retainer_Key__c/outcome-1", {**body, "Subject": "Renewal call (2)"}, raw_response=True
    )
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert first.json()["id"] == again.json()["id"]
    tasks = sf.query("SELECT Id, Subject FROM Task WHERE Retainer_Key__c = 'outcome-1'")["records"]
    assert [t["Subject"] for t in tasks] == ["Renewal call (2)"]
    assert sf.Task.get_by_custom_id("Retainer_Key__c", "outcome-1")["Id"] == first.json()["id"]


def test_collections_create_update_upsert_retrieve_delete(sf: Salesforce) -> None:
    account = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    tasks = [
        {"attributes": {"type": "Task"}, "Subject": f"t{i}", "Status": "Not Started", "WhatId": account}
        for i in range(3)
    ]
    created = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": tasks})
    ids = [r["id"] for r in created]
    assert all(r["success"] for r in created) and len(set(ids)) == 3
    updated = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Task"}, "id": i, "Status": "Completed"} for i in ids]},
    )
    assert all(r["success"] for r in updated)
    fetched = sf.restful("composite/sobjects/Task", params={"ids": ",".join(ids), "fields": "Id,Status"})
    assert [t["Status"] for t in fetched] == ["Completed"] * 3
    upserted = sf.restful(
        "composite/sobjects/Task/Retainer_Key__c",
        method="PATCH",
        json={
            "records": [
                {
                    "attributes": {"type": "Task"},
                    "Retainer_Key__c": "k-1",
                    "Subject": "x",
                    "Status": "Completed",
                }
            ]
            * 2
        },
    )
    assert [r["created"] for r in upserted] == [True, False] and upserted[0]["id"] == upserted[1]["id"]
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join([*ids, ids[0]])})
    assert [r["success"] for r in deleted] == [True, True, True, False]
    assert deleted[3]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_collections_all_or_none_rolls_back_and_limits_to_200(sf: Salesforce) -> None:
    good = {"attributes": {"type": "Task"}, "Subject": "ok", "Status": "Completed"}
    bad = {"attributes": {"type": "Task"}, "Subject": "no status"}
    results = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": True, "records": [good, bad]}
    )
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT Id FROM Task")["totalSize"] == 0
    with pytest.raises(SalesforceMalformedRequest) as too_many:
        sf.restful("composite/sobjects", method="POST", json={"records": [good] * 201})
    assert too_many.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_describe_lists_fields_picklists_and_external_ids(sf: Salesforce) -> None:
    described = sf.OpportunityContactRole.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["Retainer_Key__c"]["externalId"] is True
    assert "Influencer" in [v["value"] for v in fields["Role"]["picklistValues"]]
    assert fields["OpportunityId"]["referenceTo"] == ["Opportunity"]
    assert {o["name"] for o in sf.describe()["sobjects"]} >= {"Account", "Contact", "Case", "Task"}


def test_organization_is_one_read_only_record_with_the_org_currency(sf: Salesforce) -> None:
    org = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")
    assert org["totalSize"] == 1 and org["records"][0]["DefaultCurrencyIsoCode"] == "USD"
    (record,) = sf.query("SELECT Id, Name FROM Organization")["records"]
    assert record["Id"].startswith("00D") and record["Name"]
    described = sf.Organization.describe()
    assert not described["createable"] and not described["updateable"] and not described["deletable"]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Organization.update(record["Id"], {"Name": "x"})
    assert refused.value.content[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Organization.create({})
    assert refused.value.content[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    # a single-currency org: no record has a currency of its own
    assert "CurrencyIsoCode" not in {f["name"] for f in sf.Account.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as no_field:
        sf.query("SELECT CurrencyIsoCode FROM Opportunity")
    assert no_field.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_multi_currency_org_gives_amounts_a_currency_of_their_own(tmp_path: Path) -> None:
    sandbox = start_salesforce(
        generate(3, seed=7), state_dir=tmp_path / "sf", currency="EUR", multi_currency=True
    )
    try:
        sf = Salesforce(**sandbox.client_kwargs())
        org = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")["records"][0]
        assert org["DefaultCurrencyIsoCode"] == "EUR"
        for name in ("Account", "Opportunity"):
            field = {f["name"]: f for f in getattr(sf, name).describe()["fields"]}["CurrencyIsoCode"]
            assert field["type"] == "picklist" and field["picklistValues"][0]["value"] == "EUR"
        assert "CurrencyIsoCode" not in {f["name"] for f in sf.Contact.describe()["fields"]}
        deals = sf.query("SELECT Id, CurrencyIsoCode FROM Opportunity")["records"]
        assert deals and {d["CurrencyIsoCode"] for d in deals} == {"EUR"}
        sf.Opportunity.update(deals[0]["Id"], {"CurrencyIsoCode": "USD"})
        assert sf.Opportunity.get(deals[0]["Id"])["CurrencyIsoCode"] == "USD"
        account = sf.Account.create({"Name": "Born Multi-Currency"})["id"]
        assert sf.Account.get(account)["CurrencyIsoCode"] == "EUR"  # the org's currency by default
    finally:
        sandbox.stop()


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
        ("SELECT Id FROM Account WHERE Name = 'x' GROUP BY Name", "MALFORMED_QUERY"),
    ],
)
def test_bad_queries_get_vendor_error_bodies(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query(soql)
    assert err.value.content[0]["errorCode"] == code


def test_write_errors(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as bad_field:
        sf.Task.create({"Subject": "x", "Status": "Completed", "Bogus__c": 1})
    assert bad_field.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as bad_ref:
        sf.Task.create({"Status": "Completed", "WhatId": "001000000000000AAA"})
    assert bad_ref.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.update("0015g0000000zzzAAA", {"Name": "x"})


def test_expired_session_is_401_and_client_credentials_mint_a_new_one(
    sf_sandbox: SalesforceSandbox, sf: Salesforce
) -> None:
    sf_sandbox.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as err:
        sf.query("SELECT Id FROM Account")
    assert err.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    http = sf_sandbox.http_session()
    refused = http.post(
        f"{sf_sandbox.instance_url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        timeout=5,
    )
    assert refused.status_code == 400
    token = http.post(
        f"{sf_sandbox.instance_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sf_sandbox.consumer_key,
            "client_secret": sf_sandbox.consumer_secret,
        },
        timeout=5,
    ).json()
    fresh = Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=http, version="59.0"
    )
    assert fresh.query("SELECT Id FROM Account")["totalSize"] > 0


def test_daily_limit_and_limit_info_header(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Account")
    used = sf.api_usage["api-usage"].used
    assert sf.api_usage["api-usage"].total == 1_000_000
    sf_sandbox.set_daily_limit(used + 1)
    sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest) as err:
        sf.query("SELECT Id FROM Account")
    assert err.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    sf_sandbox.advance_clock(86400)  # a new day resets the count
    assert sf.query("SELECT Id FROM Account")["totalSize"] > 0


def test_injected_faults_answer_with_vendor_bodies(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    http = sf_sandbox.http_session()
    http.post(
        f"{sf_sandbox.instance_url}/_sandbox/faults",
        json={"kind": "status", "status": 503, "count": 1},
        timeout=5,
    )
    response = http.get(f"{sf_sandbox.instance_url}/services/data/v59.0/limits", timeout=5)
    assert response.status_code == 503 and response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert "api-usage=" in response.headers["Sforce-Limit-Info"]
    assert sf_sandbox.server.log.count("GET", "/limits", status=503) == 1


def test_state_survives_a_restart(sf_sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    sf.Task.upsert("Retainer_Key__c/keep-me", {"Subject": "s", "Status": "Completed"})
    account = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    sf.Account.update(account, {"Name": "Renamed Ltd"})
    counts = {
        name: len(sf_sandbox.records(name, include_deleted=True)) for name in ("Account", "Contact", "Task")
    }
    sf_sandbox.stop()
    again = start_salesforce(None, state_dir=sf_sandbox.state_dir)
    try:
        client = Salesforce(**again.client_kwargs())
        assert client.Account.get(account)["Name"] == "Renamed Ltd"
        assert client.Task.get_by_custom_id("Retainer_Key__c", "keep-me")["Subject"] == "s"
        assert {n: len(again.records(n, include_deleted=True)) for n in counts} == counts
        new_task = client.Task.create({"Status": "Completed"})["id"]
        assert new_task not in {t["Id"] for t in again.records("Task") if t["Id"] != new_task}
    finally:
        again.stop()


def test_plain_http_is_refused_by_tls(sf_sandbox: SalesforceSandbox) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{sf_sandbox.instance_url}/services/data/v59.0/limits", timeout=5)
