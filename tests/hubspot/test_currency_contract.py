"""Contract tests for a deal's `deal_currency_code` in the sandbox, through the unmodified
hubspot-api-client: listed by the Properties API with the account's currencies as options, the company
currency unless a deal names another, set and validated like any property."""

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
