"""A deal in another currency is stored at its own exchange rate (`hs_exchange_rate`), as HubSpot's
reports show it: a closed deal at the rate in effect when it closed, an open deal at the current rate,
which the next incremental run picks up after a rate update (sandbox portal -> SDK -> connector -> store).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from sandbox.hubspot import HubSpotSandbox
from tests.hubspot.currency_portal import RATES, account, amount, rejections

OPEN, WON, LOST = "appointmentscheduled", "closedwon", "closedlost"


def test_after_a_rate_update_closed_deals_keep_their_rate_and_open_deals_take_the_new_one(
    engine: Engine, portals: Any
) -> None:
    portal = portals("USD", {"EUR": 1.08})
    open_deal = portal.deal(0, amount="1000", deal_currency_code="EUR", dealstage=OPEN)
    won = portal.deal(1, amount="1000", deal_currency_code="EUR", dealstage=WON)
    lost = portal.deal(2, amount="200", deal_currency_code="EUR", dealstage=LOST)
    portal.sync(engine, "USD")
    assert [amount(engine, d) for d in (open_deal, won, lost)] == [
        Decimal("1080.00"),
        Decimal("1080.00"),
        Decimal("216.00"),
    ]
    portal.sandbox.advance(60)
    portal.sandbox.set_exchange_rate("EUR", 1.2)  # no deal's modification date moves
    results = portal.sync(engine, "USD", full=False)
    # the rates differ from the ones the cursor remembers: every deal is listed again
    assert results["deals"].records_read == len(portal.sandbox.ids("deals"))
    assert results["deals"].status == "ok" and not rejections(results, "deals")
    assert amount(engine, open_deal) == Decimal("1200.00")
    assert amount(engine, won) == Decimal("1080.00") and amount(engine, lost) == Decimal("216.00")
    assert portal.sandbox.server.log.count("GET", RATES) == 2  # once per run
    # a closed deal edited after the update is synced at its closing rate still
    portal.sandbox.advance(60)
    portal.deal(1, dealname="Renewal, signed")
    again = portal.sync(engine, "USD", full=False)
    assert again["deals"].records_read < len(portal.sandbox.ids("deals"))  # same rates: incremental
    assert amount(engine, won) == Decimal("1080.00") and amount(engine, open_deal) == Decimal("1200.00")


def test_a_first_sync_after_a_rate_update_stores_each_deal_at_its_own_rate(
    engine: Engine, portals: Any
) -> None:
    portal = portals("GBP", {"EUR": 1.17, "USD": 0.79})
    won = portal.deal(0, amount="1000", deal_currency_code="USD", dealstage=WON)
    open_deal = portal.deal(1, amount="1000", deal_currency_code="USD", dealstage=OPEN)
    portal.sandbox.set_exchange_rate("USD", 0.75)
    portal.deal(1, dealstage="contractsent")  # still open
    portal.sync(engine, "EUR")
    assert amount(engine, won) == Decimal("675.21")  # 1000 * 0.79 (its closing rate) / 1.17
    assert amount(engine, open_deal) == Decimal("641.03")  # 1000 * 0.75 / 1.17
    # closing the deal keeps the rate in effect then, whatever comes after
    portal.sandbox.advance(60)
    portal.deal(1, dealstage=WON)
    portal.sandbox.set_exchange_rate("USD", 0.70)
    portal.sync(engine, "EUR", full=False)
    assert amount(engine, open_deal) == Decimal("641.03") and amount(engine, won) == Decimal("675.21")


def test_a_rate_update_of_the_store_currency_lists_arr_again(engine: Engine, portals: Any) -> None:
    portal = portals("GBP", {"EUR": 1.17})
    company = portal.company(0, "1170")
    portal.sync(engine, "EUR")
    assert account(engine, company) == (Decimal("1000.00"), "EUR")
    portal.sandbox.advance(60)
    portal.sandbox.set_exchange_rate("EUR", 1.3)
    results = portal.sync(engine, "EUR", full=False)
    assert results["companies"].records_read == len(portal.sandbox.ids("companies"))
    assert account(engine, company) == (Decimal("900.00"), "EUR")


def test_a_deal_with_its_own_rate_converts_without_the_currencies_scope(engine: Engine, portals: Any) -> None:
    portal = portals("USD", {"EUR": 1.08})
    portal.sandbox.revoke_scope("settings.currencies.read")
    won = portal.deal(0, amount="1000", deal_currency_code="EUR", dealstage=WON)
    portal.sandbox.set_exchange_rate("EUR", 1.1)
    open_deal = portal.deal(1, amount="10.05", deal_currency_code="EUR", dealstage=OPEN)
    results = portal.sync(engine, "USD")
    assert {r.status for r in results.values()} == {"ok"} and not rejections(results, "deals")
    # into the company currency with the deal's own rate, taken to be CURRENCY (as ARR is)
    assert amount(engine, won) == Decimal("1080.00")
    assert amount(engine, open_deal) == Decimal("11.06")  # 11.055, half to even
    assert portal.sandbox.server.log.count("GET", "currencies", status=403) == 1


def test_a_deal_without_a_usable_rate_of_its_own_takes_the_current_rate(engine: Engine, portals: Any) -> None:
    portal = portals("USD", {"EUR": 1.08, "CHF": 1.5})
    deals = [portal.deal(i, amount="100", deal_currency_code="EUR", dealstage=WON) for i in range(5)]
    # an older record without the property, and values that are not a positive number
    for deal, value in zip(deals, (None, "", "abc", "0", "-1.25"), strict=True):
        portal.sandbox.update_raw("deals", deal, {"hs_exchange_rate": value})
    own = portal.deal(5, amount="100", deal_currency_code="CHF", dealstage=WON)
    portal.sandbox.update_raw("deals", own, {"hs_exchange_rate": "1.25"})  # its own: used over 1.5
    results = portal.sync(engine, "USD")
    assert {r.status for r in results.values()} == {"ok"} and not rejections(results, "deals")
    assert [amount(engine, d) for d in deals] == [Decimal("108.00")] * 5
    assert amount(engine, own) == Decimal("125.00")


def test_a_deal_with_neither_rate_is_kept_without_an_amount_and_reported(
    engine: Engine, portals: Any
) -> None:
    portal = portals("USD", {"EUR": 1.08})
    deal = portal.sandbox.ids("deals")[0]
    portal.sandbox.update_raw(
        "deals", deal, {"amount": "700", "deal_currency_code": "JPY", "hs_exchange_rate": "n/a"}
    )
    results = portal.sync(engine, "USD")
    assert results["deals"].status == "partial" and results["deals"].records_rejected == 1
    (rejection,) = rejections(results, "deals").values()
    assert rejection["record_id"] == str(deal) and "JPY" in rejection["error"]
    assert "hs_exchange_rate of 'n/a', which is not a positive number" in rejection["error"]
    assert amount(engine, deal) is None


def test_a_single_currency_account_reads_no_exchange_rates_run_after_run(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: Any
) -> None:
    for full in (True, False, False):
        hubspot_sandbox.advance(60)
        streams = build_streams(engine, calls, options=StreamOptions(currency="USD"))
        assert {r.status for r in sync_hubspot(engine, streams, full=full)} == {"ok"}
    assert hubspot_sandbox.server.log.count("GET", "company-currency") == 3
    assert hubspot_sandbox.server.log.count("GET", RATES) == 0
    assert calls.stats.by_kind["currencies"] == 3


def test_a_multi_currency_account_without_foreign_deals_reads_no_rates(engine: Engine, portals: Any) -> None:
    portal = portals("USD", {"EUR": 1.08})  # every deal in USD, the company currency and CURRENCY
    portal.sync(engine, "USD")
    portal.sandbox.advance(60)
    portal.sandbox.set_exchange_rate("EUR", 1.2)
    results = portal.sync(engine, "USD", full=False)
    assert results["deals"].records_read < len(portal.sandbox.ids("deals"))
    assert portal.sandbox.server.log.count("GET", RATES) == 0
