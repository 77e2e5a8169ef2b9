"""A multi-currency org: each Account and Opportunity keeps its amounts in its own currency, and the
sync stores them in the store currency (CURRENCY) at the org's own rates, through simple-salesforce
against the sandbox's CurrencyType. The sandbox's rates: 1 USD buys 0.92 EUR and 0.79 GBP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from sqlalchemy import Engine, select

from bot.settings import load_settings
from bot.wiring import crm_connections
from connectors.errors import ConfigurationError
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.streams import build_streams, sync_salesforce
from sandbox.salesforce import SalesforceSandbox
from store import keys
from store.models import Account, Deal, SyncRun
from tests.salesforce.conftest import FAST_RETRY, sf_config
from tests.salesforce.test_cli_sync import _run as run_cli
from tests.salesforce.test_cli_sync import cli_env


def _api(sandbox: SalesforceSandbox) -> SalesforceApi:
    return SalesforceApi(sf_config(sandbox), retry=FAST_RETRY)


def _sync(engine: Engine, sandbox: SalesforceSandbox, currency: str = "USD", full: bool = False) -> Any:
    return sync_salesforce(engine, build_streams(_api(sandbox), currency=currency), full=full)


def _arr(engine: Engine, crm_id: str) -> tuple[Decimal | None, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Account.arr, Account.currency).where(Account.id == keys.account_key("salesforce", crm_id))
        ).one()
    return row[0], row[1]


def _amount(engine: Engine, crm_id: str) -> Decimal | None:
    with engine.connect() as conn:
        return conn.execute(
            select(Deal.amount).where(Deal.id == keys.deal_key("salesforce", crm_id))
        ).scalar_one()


def _soql(sandbox: SalesforceSandbox) -> list[str]:
    """Every SOQL query the sandbox was sent."""
    return [q for e in sandbox.server.log.entries() for q in e.query.get("q", [])]


def _in_currencies(sandbox: SalesforceSandbox) -> tuple[str, str, str]:
    """A USD account, a EUR account and a GBP opportunity (ARR 9,200 EUR; Amount 790 GBP)."""
    usd, eur = (a["Id"] for a in sandbox.records("Account")[:2])
    sandbox.update("Account", usd, {"ARR__c": 10_000})
    sandbox.update("Account", eur, {"CurrencyIsoCode": "EUR", "ARR__c": 9_200})
    deal = sandbox.records("Opportunity")[0]["Id"]
    sandbox.update("Opportunity", deal, {"CurrencyIsoCode": "GBP", "Amount": 790})
    return usd, eur, deal


def test_amounts_in_other_currencies_are_stored_in_the_store_currency(
    engine: Engine, multi: SalesforceSandbox
) -> None:
    usd, eur, deal = _in_currencies(multi)
    results = _sync(engine, multi)
    assert [r.status for r in results] == ["ok"] * 5, [r.errors for r in results]
    assert _arr(engine, usd) == (Decimal("10000.00"), "USD")
    assert _arr(engine, eur) == (Decimal("10000.00"), "USD")  # 9,200 EUR / 0.92
    assert _amount(engine, deal) == Decimal("1000.00")  # 790 GBP / 0.79
    queries = [q for q in _soql(multi) if "FROM Account" in q or "FROM Opportunity " in q]
    assert queries and all("CurrencyIsoCode" in q for q in queries)


def test_a_store_currency_other_than_the_corporate_one_converts_every_amount(
    engine: Engine, multi: SalesforceSandbox
) -> None:
    usd, eur, deal = _in_currencies(multi)
    _sync(engine, multi, currency="EUR")
    assert _arr(engine, usd) == (Decimal("9200.00"), "EUR")  # 10,000 USD * 0.92
    assert _arr(engine, eur) == (Decimal("9200.00"), "EUR")  # already in EUR: as it is
    assert _amount(engine, deal) == Decimal("920.00")  # 790 GBP / 0.79 * 0.92


def test_a_store_currency_the_org_has_no_rate_for_stops_the_sync_before_writing(
    engine: Engine, multi: SalesforceSandbox
) -> None:
    with pytest.raises(ConfigurationError, match="CURRENCY is JPY, but this multi-currency org has no"):
        _sync(engine, multi, currency="JPY")
    with engine.connect() as conn:
        assert conn.execute(select(Account.id)).first() is None
        assert conn.execute(select(SyncRun.status)).scalars().all() == ["failed"]


def test_an_amount_in_a_currency_without_a_rate_is_reported_and_its_record_kept(
    engine: Engine, multi: SalesforceSandbox
) -> None:
    usd, _eur, _deal = _in_currencies(multi)
    multi.update("Account", usd, {"CurrencyIsoCode": "XTS"})
    results = _sync(engine, multi)
    assert results[0].status == "partial"
    assert results[0].errors == [
        {
            "record_id": usd,
            "field": "ARR__c",
            "error": "Account.ARR__c: kept in 'XTS', a currency this org has no conversion rate for; "
            "stored empty",
        }
    ]
    assert _arr(engine, usd) == (None, "USD")
    assert results[0].records_upserted == len(multi.records("Account", include_deleted=True))


def test_a_new_rate_or_store_currency_rereads_every_amount_on_the_next_run(
    engine: Engine, multi: SalesforceSandbox
) -> None:
    _usd, eur, deal = _in_currencies(multi)
    _sync(engine, multi)
    accounts = len(multi.records("Account", include_deleted=True))
    assert _sync(engine, multi)[0].records_read < accounts  # unchanged rates: incremental
    multi.set_conversion_rate("EUR", 0.8)  # no record changes
    again = _sync(engine, multi)
    assert again[0].records_read == accounts  # every account read again, incremental as it is
    assert _arr(engine, eur) == (Decimal("11500.00"), "USD")  # 9,200 / 0.8
    assert _amount(engine, deal) == Decimal("1000.00")
    _sync(engine, multi, currency="GBP")
    assert _arr(engine, eur) == (Decimal("9085.00"), "GBP")  # 9,200 / 0.8 * 0.79


def test_a_single_currency_org_is_left_as_it_is(engine: Engine, sf_sandbox: SalesforceSandbox) -> None:
    account = sf_sandbox.records("Account")[0]
    sf_sandbox.update("Account", account["Id"], {"ARR__c": 12_345.67})
    results = _sync(engine, sf_sandbox)
    assert [r.status for r in results] == ["ok"] * 5
    assert _arr(engine, account["Id"]) == (Decimal("12345.67"), "USD")
    assert not any("CurrencyIsoCode" in q for q in _soql(sf_sandbox))
    assert sum("FROM CurrencyType" in q for q in _soql(sf_sandbox)) == 1  # once per run


def test_the_sandbox_org_lists_its_currencies_only_when_multi_currency(
    multi: SalesforceSandbox, sf_sandbox: SalesforceSandbox
) -> None:
    sf = Salesforce(**multi.client_kwargs())
    rows = sf.query("SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType WHERE IsActive = true")
    assert {r["IsoCode"]: (r["ConversionRate"], r["IsCorporate"]) for r in rows["records"]} == {
        "USD": (1.0, True),
        "EUR": (0.92, False),
        "GBP": (0.79, False),
    }
    with pytest.raises(SalesforceMalformedRequest) as refused:
        Salesforce(**sf_sandbox.client_kwargs()).query("SELECT IsoCode FROM CurrencyType")
    assert refused.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_the_scheduled_sync_and_the_command_convert_into_currency(
    tmp_path: Path, db_url: str, engine: Engine, multi: SalesforceSandbox
) -> None:
    _usd, eur, _deal = _in_currencies(multi)
    info = multi.info()
    env = cli_env(multi, db_url)
    refused = run_cli(env={**env, "CURRENCY": "JPY"}, cwd=tmp_path)
    assert refused.returncode == 1
    assert "CURRENCY is JPY, but this multi-currency org has no conversion rate for it" in refused.stdout
    assert run_cli(env={**env, "CURRENCY": "GBP"}, cwd=tmp_path).returncode == 0
    assert _arr(engine, eur) == (Decimal("7900.00"), "GBP")  # 9,200 EUR / 0.92 * 0.79

    settings = load_settings(
        database_url=db_url,
        salesforce_instance_url=info["instance_url"],
        salesforce_session_id=info["session_id"],
        salesforce_ca_file=info["ca_file"],
        currency="EUR",
    )
    (salesforce,) = crm_connections(settings, engine)
    assert [r.status for r in salesforce.sync(False)] == ["ok"] * 5
    assert _arr(engine, eur) == (Decimal("9200.00"), "EUR")
