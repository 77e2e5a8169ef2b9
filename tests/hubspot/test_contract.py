"""Contract tests: the unmodified hubspot-api-client against the sandbox, for every call the connector
makes, plus the limits and errors it must handle."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiException
from hubspot.crm.companies.exceptions import ApiException as CompaniesApiException
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException

from connectors.errors import AuthError, RecordRejected
from connectors.hubspot.calls import HubSpotCalls
from sandbox.httpbase import Fault
from sandbox.hubspot import HubSpotSandbox, start_hubspot
from sandbox.portfolio import generate


def _search(sdk: HubSpot, body: dict) -> object:
    return sdk.crm.companies.search_api.do_search(public_object_search_request=body)


def test_list_pages_with_after_properties_and_associations(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    api = sdk.crm.contacts.basic_api
    seen, after, pages = [], None, 0
    while True:
        page = api.get_page(
            limit=17, after=after, properties=["email", "jobtitle"], associations=["companies"]
        )
        pages += 1
        seen += page.results
        if not page.paging:
            break
        after = page.paging.next.after
    assert [int(r.id) for r in seen] == hubspot_sandbox.ids("contacts")
    assert pages == -(-len(seen) // 17)
    first = seen[0]
    assert set(first.properties) == {"email", "jobtitle", "createdate", "lastmodifieddate", "hs_object_id"}
    assert first.created_at is not None and first.updated_at is not None and first.archived is False
    company = first.associations["companies"].results[0]
    assert company.type == "contact_to_company" and int(company.id) in hubspot_sandbox.ids("companies")
    with pytest.raises(ContactsApiException) as too_many:
        api.get_page(limit=101)
    assert too_many.value.status == 400


def test_list_names_each_association_type_like_hubspot(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    # one entry per linked record and type: the Primary link, and every link again as "unlabeled"
    page = sdk.crm.deals.basic_api.get_page(limit=1, associations=["companies"])
    results = page.results[0].associations["companies"].results
    company = results[0].id
    assert {(a.id, a.type) for a in results} == {
        (company, "deal_to_company"),
        (company, "deal_to_company_unlabeled"),
    }


def test_archived_records_are_listed_only_with_archived_true(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    deal = hubspot_sandbox.ids("deals")[0]
    hubspot_sandbox.archive("deals", deal)
    live = sdk.crm.deals.basic_api.get_page(limit=100)
    archived = sdk.crm.deals.basic_api.get_page(limit=100, archived=True)
    assert deal not in [int(r.id) for r in live.results]
    assert [(int(r.id), r.archived) for r in archived.results] == [(deal, True)]
    assert archived.results[0].archived_at is not None


def test_get_by_unique_property_and_batch_upsert(sdk: HubSpot) -> None:
    notes = sdk.crm.objects.notes
    body = {"inputs": [{"id": "k-1", "idProperty": "retainer_key", "properties": {"hs_note_body": "first"}}]}
    created = notes.batch_api.upsert(batch_input_simple_public_object_batch_input_upsert=body)
    assert created.status == "COMPLETE" and created.results[0].new is True
    body["inputs"][0]["properties"]["hs_note_body"] = "second"
    again = notes.batch_api.upsert(batch_input_simple_public_object_batch_input_upsert=body)
    assert again.results[0].new is False and again.results[0].id == created.results[0].id
    found = notes.basic_api.get_by_id("k-1", id_property="retainer_key", properties=["hs_note_body"])
    assert found.id == created.results[0].id and found.properties["hs_note_body"] == "second"
    too_many = {
        "inputs": [{"id": f"k{i}", "idProperty": "retainer_key", "properties": {}} for i in range(101)]
    }
    with pytest.raises(Exception) as refused:
        notes.batch_api.upsert(batch_input_simple_public_object_batch_input_upsert=too_many)
    assert getattr(refused.value, "status", None) == 400


def test_search_filters_sorts_and_limits(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    ids = hubspot_sandbox.ids("companies")
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": str(ids[9])}]}
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["name"],
        "limit": 5,
    }
    first = _search(sdk, body)
    assert first.total == len(ids) - 10 and len(first.results) == 5 and first.paging.next.after == "5"
    stamps = [(r.updated_at, int(r.id)) for r in first.results]
    assert stamps == sorted(stamps)
    for bad in (
        {"limit": 201},
        {"filterGroups": [{"filters": [{"propertyName": "name", "operator": "HAS_PROPERTY"}]}] * 6},
        {"filterGroups": [{"filters": [{"propertyName": "name", "operator": "HAS_PROPERTY"}] * 7}]},
        {
            "filterGroups": [
                {"filters": [{"propertyName": "no_such_property", "operator": "EQ", "value": "x"}]}
            ]
        },
    ):
        with pytest.raises(CompaniesApiException) as refused:
            _search(sdk, bad)
        assert refused.value.status == 400
        assert '"category": "VALIDATION_ERROR"' in refused.value.body


def test_search_refuses_to_page_past_the_cap(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    assert hubspot_sandbox.app.search_cap == 10_000  # HubSpot's hard limit is the default
    with pytest.raises(CompaniesApiException) as refused:
        _search(sdk, {"limit": 10, "after": "10000"})
    assert refused.value.status == 400 and "10,000" in refused.value.body
    hubspot_sandbox.set_search_cap(20)
    page = _search(sdk, {"limit": 10, "after": "10"})
    assert page.total == 30 and page.paging is None  # no next page beyond the cap, though more match
    with pytest.raises(CompaniesApiException):
        _search(sdk, {"limit": 10, "after": "20"})


def test_associations_v4_batch_read_with_labels(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    api = sdk.crm.associations.v4.batch_api
    companies = hubspot_sandbox.ids("companies")
    data = api.get_page(
        "companies",
        "contacts",
        batch_input_public_fetch_associations_batch_request={"inputs": [{"id": str(c)} for c in companies]},
    )
    labels = {
        (int(r._from.id), int(t.to_object_id), s.label)
        for r in data.results
        for t in r.to
        for s in t.association_types
        if s.category == "USER_DEFINED"
    }
    expected = {
        (
            a,
            c,
            {
                "champion": "Champion",
                "exec_sponsor": "Executive sponsor",
                "admin": "Admin",
                "finance": "Finance",
            }[r],
        )
        for a, c, r in hubspot_sandbox.role_labels()
    }
    assert labels == expected and labels
    definitions = sdk.crm.associations.v4.schema.definitions_api.get_all("companies", "contacts")
    assert {"Champion", "Executive sponsor", "Admin", "Finance"} <= {d.label for d in definitions.results}
    with pytest.raises(AssociationsApiException) as refused:
        api.get_page(
            "companies",
            "contacts",
            batch_input_public_fetch_associations_batch_request={
                "inputs": [{"id": str(i)} for i in range(1001)]
            },
        )
    assert refused.value.status == 400


def test_properties_api_lists_case_sensitive_options(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    props = {p.name: p for p in sdk.crm.properties.core_api.get_all("deals").results}
    assert "closedwon" in [o.value for o in props["dealstage"].options]
    company = str(hubspot_sandbox.ids("companies")[0])
    with pytest.raises(CompaniesApiException) as refused:
        sdk.crm.companies.basic_api.update(
            company, simple_public_object_input={"properties": {"industry": "computer_software"}}
        )
    assert refused.value.status == 400 and "INVALID_OPTION" in refused.value.body
    ok = sdk.crm.companies.basic_api.update(
        company, simple_public_object_input={"properties": {"industry": "COMPUTER_SOFTWARE"}}
    )
    assert ok.properties["industry"] == "COMPUTER_SOFTWARE"


def test_rate_limit_headers_and_429_body(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    hubspot_sandbox.set_rate_limit(3, 10.0)
    api = sdk.crm.companies.basic_api
    _, _, headers = api.get_page_with_http_info(limit=1)
    assert headers["X-HubSpot-RateLimit-Max"] == "3" and headers["X-HubSpot-RateLimit-Remaining"] == "2"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    api.get_page(limit=1)
    api.get_page(limit=1)
    with pytest.raises(CompaniesApiException) as limited:
        api.get_page(limit=1)
    assert limited.value.status == 429
    import json

    body = json.loads(limited.value.body)
    assert body["status"] == "error" and body["category"] == "RATE_LIMITS" and body["correlationId"]
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"


def test_search_has_its_own_per_second_limit(hubspot_sandbox: HubSpotSandbox, sdk: HubSpot) -> None:
    statuses = []
    for _ in range(7):
        try:
            _search(sdk, {"limit": 1})
            statuses.append(200)
        except CompaniesApiException as exc:
            statuses.append(exc.status)
    assert statuses.count(429) >= 1 and statuses[:5] == [200] * 5


def test_connector_waits_out_429s_and_never_trips_the_limit_in_steady_state(
    hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    hubspot_sandbox.set_rate_limit(6, 1.0)
    for _ in range(10):
        calls.list_page("companies", after=None, properties=["name"], limit=5)
    assert hubspot_sandbox.server.log.count(status=429) == 0
    assert calls.budget.waited > 0.5  # it paced itself instead
    hubspot_sandbox.server.faults.add(Fault(kind="status", status=429, count=2))
    calls.list_page("companies", after=None, properties=["name"], limit=5)
    assert hubspot_sandbox.server.log.count(status=429) == 2 and calls.stats.retries == 2


def test_401_becomes_an_auth_error_with_a_clear_message(hubspot_sandbox: HubSpotSandbox) -> None:
    bad = HubSpot(access_token="pat-wrong", host=hubspot_sandbox.info()["host"])
    calls = HubSpotCalls(bad)
    with pytest.raises(AuthError) as stopped:
        calls.list_page("companies", after=None, properties=["name"])
    assert "HUBSPOT_ACCESS_TOKEN" in str(stopped.value) and "pat-wrong" not in str(stopped.value)
    assert hubspot_sandbox.server.log.count(status=401) == 1  # no retries on 401


def test_5xx_is_retried_and_400_is_not(hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls) -> None:
    hubspot_sandbox.server.faults.add(Fault(kind="status", status=502, count=2))
    assert calls.list_page("companies", after=None, properties=["name"], limit=1).results
    assert calls.stats.retries == 2
    with pytest.raises(RecordRejected):
        calls.upsert("notes", [{"id": "x", "idProperty": "retainer_key", "properties": {"nope": "1"}}])
    assert hubspot_sandbox.server.log.count("POST", "batch/upsert") == 1


def _currencies(sdk: HubSpot, host: str, path: str) -> requests.Response:
    """The Settings API's currencies through the SDK's generic request (it has no typed API for them)."""
    return sdk.api_request({"method": "GET", "path": f"/settings/v3/currencies/{path}", "base_url": host})


def test_currencies_api_names_the_company_currency_and_no_other(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    host = hubspot_sandbox.info()["host"]
    company = _currencies(sdk, host, "company-currency")
    assert company.status_code == 200 and company.json()["id"] == "USD" and company.json()["createdAt"]
    rates = _currencies(sdk, host, "exchange-rates/current")
    assert rates.status_code == 200 and rates.json() == {"results": []}
    stranger = HubSpot(access_token="pat-wrong")
    assert _currencies(stranger, host, "company-currency").status_code == 401


def test_multi_currency_account_lists_its_exchange_rates(tmp_path: Path) -> None:
    sandbox = start_hubspot(
        generate(2, seed=7), state_dir=tmp_path / "hs", currency="EUR", exchange_rates={"USD": 0.92}
    )
    try:
        host, token = sandbox.info()["host"], sandbox.info()["access_token"]
        sdk = HubSpot(access_token=token)
        assert _currencies(sdk, host, "company-currency").json()["id"] == "EUR"
        (rate,) = _currencies(sdk, host, "exchange-rates/current").json()["results"]
        assert rate["fromCurrencyCode"] == "USD" and rate["toCurrencyCode"] == "EUR"
        assert rate["conversionRate"] == 0.92 and rate["visibleInUI"] is True and rate["id"]
        assert rate["effectiveAt"] and rate["createdAt"] and rate["updatedAt"]
        sandbox.revoke_scope("settings.currencies.read")
        refused = _currencies(sdk, host, "company-currency")
        body = refused.json()
        assert refused.status_code == 403 and body["category"] == "MISSING_SCOPES"
        assert body["errors"][0]["context"]["requiredGranularScopes"] == ["settings.currencies.read"]
    finally:
        sandbox.stop()
