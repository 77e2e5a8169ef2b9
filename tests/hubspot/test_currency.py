"""Amounts in the store currency: a multi-currency HubSpot account's deal amounts and company ARR are
converted with the account's own exchange rates (sandbox portal -> SDK -> connector -> store)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.settings import load_settings
from bot.wiring import crm_connections
from connectors.errors import ConfigurationError
from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from sandbox.httpbase import Fault
from sandbox.hubspot import HubSpotSandbox
from store.models import Account, Contact, Deal, SyncRun
from store.uow import unit_of_work
from tests.hubspot.currency_portal import RATES, account, amount, rejections
from tests.hubspot.helpers import sandbox_state, store_state


def test_a_eur_deal_is_stored_in_usd_with_the_accounts_rate(engine: Engine, portals: Any) -> None:
    portal = portals("USD", {"EUR": 1.08, "CHF": 1.5})
    eur = portal.deal(0, amount="1000", deal_currency_code="EUR")
    usd = portal.deal(1, amount="1234.56", deal_currency_code="USD")
    unset = portal.deal(2, amount="99.99", deal_currency_code=None)  # no currency: the company's
    half = portal.deal(3, amount="0.35", deal_currency_code="CHF")  # 0.525 USD: a half cent
    company = portal.company(0, "50000")
    results = portal.sync(engine, "USD")
    assert {r.status for r in results.values()} == {"ok"} and not rejections(results, "deals")
    assert amount(engine, eur) == Decimal("1080.00")
    assert amount(engine, usd) == Decimal("1234.56") and amount(engine, unset) == Decimal("99.99")
    assert amount(engine, half) == Decimal("0.52")  # rounded half to even
    assert account(engine, company) == (Decimal("50000.00"), "USD")
    # The company currency is CURRENCY: the rates are read only once a deal in another currency shows up.
    assert portal.sandbox.server.log.count("GET", "company-currency") == 1
    assert portal.sandbox.server.log.count("GET", RATES) == 1
    # An incremental run reads them again (once) and converts what it finds.
    portal.sandbox.advance(60)
    portal.deal(1, amount="500", deal_currency_code="EUR")
    portal.sync(engine, "USD", full=False)
    assert amount(engine, usd) == Decimal("540.00")
    assert portal.sandbox.server.log.count("GET", RATES) == 2


def test_arr_and_deals_convert_when_currency_is_not_the_company_currency(
    engine: Engine, portals: Any
) -> None:
    portal = portals("GBP", {"EUR": 1.17, "USD": 0.79})
    company = portal.company(1, "1000")  # GBP, the company currency
    eur = portal.deal(0, amount="321.09", deal_currency_code="EUR")
    gbp = portal.deal(1, amount="1170", deal_currency_code="GBP")
    usd = portal.deal(2, amount="1000", deal_currency_code="USD")  # 790 GBP
    results = portal.sync(engine, "EUR")
    assert {r.status for r in results.values()} == {"ok"}
    assert account(engine, company) == (Decimal("854.70"), "EUR")  # 1000 / 1.17
    assert amount(engine, eur) == Decimal("321.09")  # already in CURRENCY: taken as it is
    assert amount(engine, gbp) == Decimal("1000.00")
    assert amount(engine, usd) == Decimal("675.21")  # 1000 * 0.79 / 1.17
    with unit_of_work(engine) as s:
        assert set(s.scalars(select(Account.currency).where(Account.source == "hubspot"))) == {"EUR"}
    assert portal.sandbox.server.log.count("GET", RATES) == 1  # once per run, shared by the streams


def test_a_new_currency_lists_every_amount_again(engine: Engine, portals: Any) -> None:
    portal = portals("GBP", {"EUR": 1.17, "USD": 0.79})
    company = portal.company(0, "1170")
    deal = portal.deal(0, amount="790", deal_currency_code="GBP")
    portal.sync(engine, "USD")
    assert account(engine, company) == (Decimal("1481.01"), "USD")
    assert amount(engine, deal) == Decimal("1000.00")
    portal.sandbox.advance(60)
    results = portal.sync(engine, "EUR", full=False)  # nothing changed in HubSpot since
    assert results["companies"].records_read == len(portal.sandbox.ids("companies"))
    assert results["deals"].records_read == len(portal.sandbox.ids("deals"))
    assert account(engine, company) == (Decimal("1000.00"), "EUR")
    assert amount(engine, deal) == Decimal("675.21")
    with unit_of_work(engine) as s:
        assert set(s.scalars(select(Account.currency))) == {"EUR"}
    unchanged = portal.sync(engine, "EUR", full=False)
    # the same CURRENCY again: incremental as before (the newest record is read again, as after any list)
    assert unchanged["deals"].records_read <= 1 < len(portal.sandbox.ids("deals"))


def test_a_deal_in_a_currency_without_a_rate_is_kept_without_anamount(engine: Engine, portals: Any) -> None:
    portal = portals("USD", {"EUR": 1.08})
    deal = portal.sandbox.ids("deals")[0]
    # A currency the account has since removed: the value stays on the deal.
    portal.sandbox.update_raw("deals", deal, {"amount": "700", "deal_currency_code": "JPY"})
    other = portal.deal(1, amount="10", deal_currency_code="EUR")
    results = portal.sync(engine, "USD")
    # a run with rejected records is "partial", as with an unknown picklist value
    assert results["deals"].status == "partial" and results["deals"].records_rejected == 1
    (rejection,) = rejections(results, "deals").values()
    assert rejection["record_id"] == str(deal) and rejection["field"] == "deal_currency_code"
    assert f"deal {deal}" in rejection["error"] and "JPY" in rejection["error"]
    assert "no exchange rate" in rejection["error"]
    assert amount(engine, deal) is None  # the deal is stored, without an amount
    assert amount(engine, other) == Decimal("10.80")
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Deal)) == len(portal.sandbox.ids("deals"))


def test_without_the_currencies_scope_the_sync_goes_on_and_converts_nothing(
    engine: Engine, portals: Any
) -> None:
    portal = portals("USD", {"EUR": 1.08})
    portal.sandbox.revoke_scope("settings.currencies.read")
    eur = portal.deal(0, amount="1000", deal_currency_code="EUR")
    # an older record, from before HubSpot kept a deal's own rate: nothing to convert it with
    portal.sandbox.update_raw("deals", eur, {"hs_exchange_rate": None})
    usd = portal.deal(1, amount="250.50", deal_currency_code="USD")
    deal = portal.sandbox.ids("deals")[2]
    portal.sandbox.update_raw("deals", deal, {"amount": "42", "deal_currency_code": None})
    company = portal.company(0, "12345.67")
    results = portal.sync(engine, "USD")
    deals = results.pop("deals")
    assert deals.status == "partial" and deals.records_rejected == 1  # one rejected deal; nothing failed
    assert {r.status for r in results.values()} == {"ok"}
    (rejection,) = rejections({"deals": deals}, "deals").values()
    assert rejection["record_id"] == str(eur) and "EUR" in rejection["error"]
    assert "settings.currencies.read" in rejection["error"] and "could not be converted" in rejection["error"]
    assert "no exchange rate of its own (hs_exchange_rate)" in rejection["error"]
    assert amount(engine, eur) is None
    assert amount(engine, usd) == Decimal("250.50") and amount(engine, deal) == Decimal("42.00")
    assert account(engine, company) == (Decimal("12345.67"), "USD")  # as HubSpot sends it
    assert portal.sandbox.server.log.count("GET", "currencies", status=403) == 1  # asked once, no retry


@pytest.mark.parametrize(
    ("company", "rates", "currency", "codes"),
    [
        pytest.param("EUR", {"USD": 0.92}, "GBP", "EUR, USD", id="multi-currency"),
        pytest.param("EUR", {}, "USD", "EUR", id="single-currency"),
    ],
)
def test_currency_not_among_the_accounts_currencies_stops_before_writing(
    engine: Engine, portals: Any, company: str, rates: dict[str, float], currency: str, codes: str
) -> None:
    portal = portals(company, rates)
    with pytest.raises(ConfigurationError) as stopped:
        portal.sync(engine, currency)
    message = str(stopped.value)
    assert f"CURRENCY is {currency}" in message and f"({codes}; company currency {company})" in message
    assert f"Set CURRENCY to one of {codes}, or add {currency}" in message
    with unit_of_work(engine) as s:
        for model in (Account, Contact, Deal):
            assert s.scalar(select(func.count()).select_from(model)) == 0
        assert s.scalar(select(SyncRun.status)) == "failed"


def test_a_single_currency_account_in_currency_is_unchanged_for_one_read(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    deal = hubspot_sandbox.ids("deals")[0]
    hubspot_sandbox.update("deals", deal, {"deal_currency_code": "USD", "amount": "77.50"})
    streams = build_streams(engine, calls, options=StreamOptions(currency="USD"))
    results = sync_hubspot(engine, streams, full=True)
    assert {r.status for r in results} == {"ok"}
    assert store_state(engine) == sandbox_state(hubspot_sandbox)
    assert calls.stats.by_kind["currencies"] == 1  # the company currency; no exchange rates
    assert hubspot_sandbox.server.log.count("GET", "company-currency") == 1
    assert sum(r.requests_made for r in results) == calls.stats.requests
    assert amount(engine, deal) == Decimal("77.50")
    with unit_of_work(engine) as s:
        assert set(s.scalars(select(Account.currency))) == {"USD"}


def test_the_currencies_read_is_retried_like_every_call(engine: Engine, portals: Any) -> None:
    portal = portals("USD", {"EUR": 1.08})
    eur = portal.deal(0, amount="1", deal_currency_code="EUR")
    portal.sandbox.server.faults.add(Fault(kind="status", status=503, count=1, path="company-currency"))
    portal.sandbox.server.faults.add(Fault(kind="drop", count=1, path=RATES))
    results = portal.sync(engine, "USD")
    assert {r.status for r in results.values()} == {"ok"}
    assert portal.calls.stats.retries == 2 and amount(engine, eur) == Decimal("1.08")


def test_the_scheduled_sync_converts_into_the_currency_setting(
    db_url: str, engine: Engine, portals: Any
) -> None:
    portal = portals("GBP", {"EUR": 1.17, "USD": 0.79})
    company = portal.company(1, "1170")
    info = portal.sandbox.info()
    settings = load_settings(
        database_url=db_url,
        hubspot_access_token=info["access_token"],
        hubspot_host=info["host"],
        currency="EUR",
    )
    (hubspot,) = crm_connections(settings, engine)
    assert {r.status for r in hubspot.sync(True)} == {"ok"}
    assert account(engine, company) == (Decimal("1000.00"), "EUR")  # 1170 GBP / 1.17
