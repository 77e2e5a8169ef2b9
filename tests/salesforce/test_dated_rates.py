"""Advanced currency management: an org with dated exchange rates (DatedConversionRate) has Salesforce
convert an opportunity's amount at the rates of the range its CloseDate falls in, and every other amount
at the current rate (CurrencyType). The sync stores the same figures, through simple-salesforce against
the sandbox. The sandbox's current rates: 1 USD buys 0.92 EUR and 0.79 GBP; each currency's first dated
range (from 0001-01-01) has its current rate, and the tests add ranges from 2026-01-01."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from sqlalchemy import Engine

from connectors.salesforce.currency import MoneyConverter
from connectors.salesforce.streams import build_streams, sync_salesforce
from sandbox.portfolio import generate
from sandbox.salesforce import SalesforceSandbox, start_salesforce
from tests.salesforce.conftest import ACCOUNTS, PAGE_SIZE
from tests.salesforce.test_multi_currency import _amount, _api, _arr, _soql, _sync

NEW_YEAR = date(2026, 1, 1)


@pytest.fixture
def dated(tmp_path: Path) -> Iterator[SalesforceSandbox]:
    sandbox = start_salesforce(
        generate(ACCOUNTS, seed=7),
        state_dir=tmp_path / "sf-dated",
        page_size=PAGE_SIZE,
        multi_currency=True,
        dated_rates=True,
    )
    yield sandbox
    sandbox.stop()


def _eur_deals(sandbox: SalesforceSandbox) -> tuple[str, str, str]:
    """An EUR account (ARR 9,200) and two EUR opportunities of 800, closing before and after NEW_YEAR."""
    account = sandbox.records("Account")[0]["Id"]
    sandbox.update("Account", account, {"CurrencyIsoCode": "EUR", "ARR__c": 9_200})
    before, after = (o["Id"] for o in sandbox.records("Opportunity")[:2])
    for deal, closes in ((before, "2025-06-30"), (after, "2026-03-31")):
        sandbox.update("Opportunity", deal, {"CurrencyIsoCode": "EUR", "Amount": 800, "CloseDate": closes})
    return account, before, after


def test_an_opportunity_converts_at_the_dated_rate_of_its_close_date(
    engine: Engine, dated: SalesforceSandbox
) -> None:
    account, before, after = _eur_deals(dated)
    dated.add_dated_rate("EUR", NEW_YEAR, 0.8)
    results = _sync(engine, dated)
    assert [r.status for r in results] == ["ok"] * 5, [r.errors for r in results]
    assert _amount(engine, before) == Decimal("869.57")  # 800 / 0.92: the range from 0001-01-01
    assert _amount(engine, after) == Decimal("1000.00")  # 800 / 0.8: the range from 2026-01-01
    assert _arr(engine, account) == (Decimal("10000.00"), "USD")  # accounts: the current rate, 0.92


def test_the_store_currency_converts_at_its_own_dated_rate(engine: Engine, dated: SalesforceSandbox) -> None:
    _account, before, after = _eur_deals(dated)
    dated.add_dated_rate("EUR", NEW_YEAR, 0.8)
    dated.add_dated_rate("GBP", NEW_YEAR, 0.75)
    _sync(engine, dated, currency="GBP")
    assert _amount(engine, before) == Decimal("686.96")  # 800 / 0.92 * 0.79
    assert _amount(engine, after) == Decimal("750.00")  # 800 / 0.8 * 0.75


def test_a_new_dated_rate_rereads_opportunities_and_not_accounts(
    engine: Engine, dated: SalesforceSandbox
) -> None:
    _account, before, after = _eur_deals(dated)
    _sync(engine, dated)
    accounts = len(dated.records("Account", include_deleted=True))
    deals = len(dated.records("Opportunity", include_deleted=True))
    steady = _sync(engine, dated)
    assert steady[0].records_read < accounts and steady[2].records_read < deals  # incremental
    dated.add_dated_rate("EUR", NEW_YEAR, 0.8)  # no record changes
    again = _sync(engine, dated)
    assert again[2].records_read == deals  # every opportunity read again
    assert again[0].records_read < accounts  # accounts use the current rates, which did not change
    assert _amount(engine, after) == Decimal("1000.00")
    assert _amount(engine, before) == Decimal("869.57")


def test_without_advanced_currency_management_every_amount_uses_the_current_rate(
    engine: Engine, multi: SalesforceSandbox
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        Salesforce(**multi.client_kwargs()).query("SELECT IsoCode FROM DatedConversionRate")
    assert refused.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(KeyError, match="advanced currency management is off"):
        multi.add_dated_rate("EUR", NEW_YEAR, 0.8)
    _account, before, after = _eur_deals(multi)
    _sync(engine, multi)
    assert _amount(engine, before) == _amount(engine, after) == Decimal("869.57")


def test_the_rates_are_read_once_per_run_for_both_money_streams(
    engine: Engine, dated: SalesforceSandbox
) -> None:
    streams = build_streams(_api(dated))
    sync_salesforce(engine, streams)
    assert sum("FROM CurrencyType" in q for q in _soql(dated)) == 1
    assert sum("FROM DatedConversionRate" in q for q in _soql(dated)) == 1
    # the same streams run again: a new run, which reads the rates in force now
    _account, _before, after = _eur_deals(dated)
    dated.add_dated_rate("EUR", NEW_YEAR, 0.8)
    sync_salesforce(engine, streams)
    assert sum("FROM CurrencyType" in q for q in _soql(dated)) == 2
    assert _amount(engine, after) == Decimal("1000.00")


def test_a_date_before_a_currencys_first_range_uses_its_current_rate() -> None:
    converter = MoneyConverter(
        "USD",
        "USD",
        {"USD": Decimal(1), "EUR": Decimal("0.92")},
        dated={"EUR": ((NEW_YEAR,), (Decimal("0.8"),))},
    )
    assert converter.convert(Decimal(920), "EUR", date(2025, 12, 31)) == Decimal("1000.00")
    assert converter.convert(Decimal(800), "EUR", NEW_YEAR) == Decimal("1000.00")
    assert converter.convert(Decimal(920), "EUR") == Decimal("1000.00")  # no date: the current rate
    with pytest.raises(KeyError):
        converter.convert(Decimal(1), "XTS", NEW_YEAR)
