"""Contract tests for a deal's `deal_currency_code` in the sandbox, through the unmodified
hubspot-api-client: listed by the Properties API with the account's currencies as options, the company
currency unless a deal names another, set and validated like any property; and a deal's own exchange
rate, `hs_exchange_rate`, which follows rate updates while the deal is open and is frozen once it closes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hubspot import HubSpot
from hubspot.crm.deals.exceptions import ApiException as DealsApiException

from sandbox.hubspot import HubSpotSandbox, start_hubspot
from sandbox.portfolio import generate

CURRENCY = "deal_currency_code"


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[tuple[HubSpotSandbox, HubSpot]]:
    sandbox = start_hubspot(
        generate(3, seed=5),
        state_dir=tmp_path / "hs",
        currency="EUR",
        exchange_rates={"USD": 0.92, "GBP": 1.17},
    )
    info = sandbox.info()
    yield sandbox, HubSpot(access_token=info["access_token"], host=info["host"])
    sandbox.stop()


def test_the_properties_api_lists_the_accounts_currencies_as_options(
    multi: tuple[HubSpotSandbox, HubSpot],
) -> None:
    _, sdk = multi
    prop = sdk.crm.properties.core_api.get_by_name("deals", CURRENCY)
    assert prop.type == "enumeration" and prop.field_type == "select"
    assert [(o.value, o.label) for o in prop.options] == [("EUR", "EUR"), ("GBP", "GBP"), ("USD", "USD")]
    listed = {p.name for p in sdk.crm.properties.core_api.get_all("deals").results}
    assert CURRENCY in listed


def test_a_deal_is_in_the_company_currency_unless_it_names_another(
    multi: tuple[HubSpotSandbox, HubSpot],
) -> None:
    sandbox, sdk = multi
    api = sdk.crm.deals.basic_api
    loaded = api.get_page(limit=100, properties=[CURRENCY, "amount"]).results
    assert loaded and {d.properties[CURRENCY] for d in loaded} == {"EUR"}
    plain = api.create(simple_public_object_input_for_create={"properties": {"dealname": "A", "amount": "5"}})
    assert plain.properties[CURRENCY] == "EUR"
    named = api.create(
        simple_public_object_input_for_create={"properties": {"dealname": "B", CURRENCY: "USD"}}
    )
    assert named.properties[CURRENCY] == "USD"
    sandbox_made = sandbox.create("deals", {"dealname": "C"})
    assert sandbox.state.get("deals", sandbox_made).props[CURRENCY] == "EUR"  # type: ignore[union-attr]


def test_a_deals_currency_is_set_like_any_property_and_must_be_an_account_currency(
    multi: tuple[HubSpotSandbox, HubSpot],
) -> None:
    _, sdk = multi
    deals = sdk.crm.deals
    deal = deals.basic_api.get_page(limit=1).results[0].id
    updated = deals.basic_api.update(deal, simple_public_object_input={"properties": {CURRENCY: "GBP"}})
    assert updated.properties[CURRENCY] == "GBP"
    found = deals.search_api.do_search(
        public_object_search_request={
            "filterGroups": [{"filters": [{"propertyName": CURRENCY, "operator": "EQ", "value": "GBP"}]}],
            "properties": [CURRENCY],
        }
    )
    assert [d.id for d in found.results] == [deal]
    batch = deals.batch_api.create(
        batch_input_simple_public_object_batch_input_for_create={
            "inputs": [{"properties": {"dealname": "D", CURRENCY: "USD"}}, {"properties": {"dealname": "E"}}]
        }
    )
    assert sorted(d.properties[CURRENCY] for d in batch.results) == ["EUR", "USD"]
    moved = deals.batch_api.update(
        batch_input_simple_public_object_batch_input={
            "inputs": [{"id": deal, "properties": {CURRENCY: "EUR"}}]
        }
    )
    assert moved.results[0].properties[CURRENCY] == "EUR"
    with pytest.raises(DealsApiException) as refused:
        deals.basic_api.update(deal, simple_public_object_input={"properties": {CURRENCY: "JPY"}})
    assert refused.value.status == 400 and "INVALID_OPTION" in refused.value.body


def test_a_single_currency_account_offers_only_its_currency(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    prop = sdk.crm.properties.core_api.get_by_name("deals", CURRENCY)
    assert [o.value for o in prop.options] == ["USD"]
    deal = sdk.crm.deals.basic_api.get_page(limit=1, properties=[CURRENCY]).results[0]
    assert deal.properties[CURRENCY] is None  # no currency of its own: the company currency
    with pytest.raises(DealsApiException) as refused:
        sdk.crm.deals.basic_api.update(deal.id, simple_public_object_input={"properties": {CURRENCY: "EUR"}})
    assert refused.value.status == 400


RATE = "hs_exchange_rate"


def test_a_deal_in_another_currency_carries_the_current_rate_until_it_closes(
    multi: tuple[HubSpotSandbox, HubSpot],
) -> None:
    sandbox, sdk = multi
    api = sdk.crm.deals.basic_api
    prop = sdk.crm.properties.core_api.get_by_name("deals", RATE)
    assert prop.type == "number" and prop.label == "Exchange rate"
    created = api.create(
        simple_public_object_input_for_create={
            "properties": {"dealname": "F", CURRENCY: "USD", "dealstage": "appointmentscheduled"}
        }
    )
    assert created.properties[RATE] == "0.92"  # a string, like every property
    home = api.create(simple_public_object_input_for_create={"properties": {"dealname": "G"}})
    assert api.get_by_id(home.id, properties=[RATE]).properties[RATE] is None  # the company currency
    before = api.get_by_id(created.id, properties=[RATE, "hs_lastmodifieddate"]).properties
    sandbox.advance(60)
    sandbox.set_exchange_rate("USD", 0.95)
    moved = api.get_by_id(created.id, properties=[RATE, "hs_lastmodifieddate"]).properties
    assert moved[RATE] == "0.95" and moved["hs_lastmodifieddate"] == before["hs_lastmodifieddate"]
    won = api.update(created.id, simple_public_object_input={"properties": {"dealstage": "closedwon"}})
    assert won.properties[RATE] == "0.95"  # the rate in effect when it closed
    sandbox.set_exchange_rate("USD", 0.99)
    assert api.get_by_id(created.id, properties=[RATE]).properties[RATE] == "0.95"
    renamed = api.update(created.id, simple_public_object_input={"properties": {"dealname": "F2"}})
    assert renamed.properties[RATE] == "0.95"
    listed = api.get_page(limit=100, properties=[RATE]).results
    assert {d.id: d.properties[RATE] for d in listed}[created.id] == "0.95"
    moved_currency = api.update(created.id, simple_public_object_input={"properties": {CURRENCY: "GBP"}})
    assert moved_currency.properties[RATE] == "1.17"
    reopened = api.update(
        created.id, simple_public_object_input={"properties": {"dealstage": "contractsent", CURRENCY: "USD"}}
    )
    assert reopened.properties[RATE] == "0.99"


def test_a_rate_update_shows_in_the_settings_api_and_a_deals_rate_cannot_be_written(
    multi: tuple[HubSpotSandbox, HubSpot],
) -> None:
    sandbox, sdk = multi
    deal = sdk.crm.deals.basic_api.get_page(limit=1).results[0].id
    with pytest.raises(DealsApiException) as refused:
        sdk.crm.deals.basic_api.update(deal, simple_public_object_input={"properties": {RATE: "2"}})
    assert refused.value.status == 400 and "READ_ONLY_VALUE" in refused.value.body
    sandbox.advance(60)
    sandbox.set_exchange_rate("GBP", 1.2)
    path = "/settings/v3/currencies/exchange-rates/current"
    rates = sdk.api_request({"method": "GET", "path": path, "base_url": sandbox.info()["host"]}).json()
    rates = rates["results"]
    gbp = next(r for r in rates if r["fromCurrencyCode"] == "GBP")
    assert gbp["conversionRate"] == 1.2 and gbp["updatedAt"] > gbp["createdAt"]
    with pytest.raises(KeyError):
        sandbox.set_exchange_rate("EUR", 1.0)  # the company currency has no rate
