"""`retainer doctor` against the three sandboxes: every configured service answers; a bad token is named;
CURRENCY must be a single-currency CRM's own currency, or one a multi-currency CRM has a rate for."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot import doctor
from bot.doctor import Check, check_hubspot, check_salesforce, run_checks
from bot.settings import load_settings
from sandbox.httpbase import Fault
from sandbox.running import running, settings_values
from store.db import make_engine
from store.migrate import upgrade


def test_doctor_reaches_every_sandbox_and_names_a_bad_token(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'doctor.db'}"
    upgrade(make_engine(db))
    with running(accounts=10, state_dir=tmp_path / "sandboxes") as env:
        sf, hs, slack = env.salesforce.info(), env.hubspot.info(), env.slack.info()
        values = {"database_url": db, **settings_values(salesforce=sf, hubspot=hs, slack=slack)}
        checks = {c.name: c for c in run_checks(load_settings(**values))}
        assert all(c.ok and not c.skipped for c in checks.values()), checks

        bad = {
            c.name: c for c in run_checks(load_settings(**{**values, "hubspot_access_token": "pat-wrong"}))
        }
        assert not bad["hubspot"].ok and bad["salesforce"].ok and bad["slack"].ok
        assert "pat-wrong" not in bad["hubspot"].message


def _crm_checks(
    tmp_path: Path, *, crm_currency: str, multi: bool = False, dated: bool = False, **settings: str
) -> dict[str, Check]:
    """The Salesforce and HubSpot checks against sandboxes keeping amounts in `crm_currency`."""
    with running(
        accounts=4, state_dir=tmp_path, currency=crm_currency, multi_currency=multi, dated_rates=dated
    ) as env:
        values = settings_values(salesforce=env.salesforce.info(), hubspot=env.hubspot.info())
        loaded = load_settings(database_url="sqlite://", **values, **settings)
        return {c.name: c for c in (check_salesforce(loaded), check_hubspot(loaded))}


def test_doctor_names_the_currency_when_the_crms_keep_amounts_in_currency(tmp_path: Path) -> None:
    checks = _crm_checks(tmp_path, crm_currency="EUR", currency="EUR")
    assert checks["salesforce"].ok and checks["salesforce"].message.endswith(
        ": reachable, session valid; amounts in EUR"
    )
    assert checks["hubspot"].ok and checks["hubspot"].message.endswith(
        ": reachable, token accepted; amounts in EUR"
    )


def test_doctor_fails_when_currency_is_not_the_crms_currency(tmp_path: Path) -> None:
    checks = _crm_checks(tmp_path, crm_currency="EUR")  # CURRENCY left at its default, USD
    assert not checks["salesforce"].ok and not checks["hubspot"].ok
    assert checks["salesforce"].message.endswith(
        "reachable, session valid; the org keeps amounts in EUR but CURRENCY is USD: set CURRENCY=EUR"
    )
    assert checks["hubspot"].message.endswith(
        "reachable, token accepted; the account keeps amounts in EUR but CURRENCY is USD: set CURRENCY=EUR"
    )


def test_doctor_passes_multi_currency_crms_that_have_a_rate_for_currency(tmp_path: Path) -> None:
    checks = _crm_checks(tmp_path, crm_currency="GBP", multi=True, currency="EUR")
    assert checks["salesforce"].ok and checks["hubspot"].ok, checks
    assert checks["salesforce"].message.endswith(
        "the org is multi-currency (GBP, EUR, USD): amounts are stored in EUR at its exchange rates"
    )
    assert checks["hubspot"].message.endswith(
        "the account is multi-currency (GBP, EUR): amounts are stored in EUR at its exchange rates"
    )


def test_doctor_names_dated_exchange_rates(tmp_path: Path) -> None:
    checks = _crm_checks(tmp_path, crm_currency="USD", multi=True, dated=True)
    assert checks["salesforce"].ok, checks
    assert checks["salesforce"].message.endswith(
        "the org is multi-currency (USD, EUR, GBP): amounts are stored in USD at its exchange rates "
        "(opportunities at the dated rates of their close dates)"
    )


def test_doctor_fails_on_multi_currency_crms_without_a_rate_for_currency(tmp_path: Path) -> None:
    checks = _crm_checks(tmp_path, crm_currency="GBP", multi=True, currency="JPY")
    assert not checks["salesforce"].ok and not checks["hubspot"].ok
    assert "the org is multi-currency (GBP, EUR, USD) and has no exchange rate for CURRENCY=JPY" in (
        checks["salesforce"].message
    )
    assert "the account is multi-currency (GBP, EUR) and has no exchange rate for CURRENCY=JPY" in (
        checks["hubspot"].message
    )
    for check in checks.values():
        assert check.message.endswith("until then the sync stops before writing amounts")


def test_doctor_passes_but_says_so_when_the_token_may_not_read_the_currency(tmp_path: Path) -> None:
    with running(accounts=4, state_dir=tmp_path, currency="EUR") as env:
        values = settings_values(hubspot=env.hubspot.info())
        env.hubspot.revoke_scope("settings.currencies.read")
        check = check_hubspot(load_settings(database_url="sqlite://", **values))
    assert check.ok, check
    assert check.message.endswith(
        "reachable, token accepted; could not read the account's currency (the token lacks the "
        "settings.currencies.read scope), so CURRENCY=USD is unchecked"
    )
    assert env.hubspot.server.log.count("GET", "/settings/v3/currencies/company-currency", status=403) == 1


def test_a_crm_that_never_answers_fails_its_check_within_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each check's requests carry the doctor's timeout, the currency reads included: the Salesforce
    describe (simple-salesforce sends it without one) and the HubSpot Settings API."""
    monkeypatch.setattr(doctor, "TIMEOUT_SECONDS", 0.5)
    with running(accounts=4, state_dir=tmp_path) as env:
        loaded = load_settings(
            database_url="sqlite://",
            **settings_values(salesforce=env.salesforce.info(), hubspot=env.hubspot.info()),
        )
        env.salesforce.server.faults.add(Fault(kind="delay", seconds=3.0, count=1, path="Account/describe"))
        env.hubspot.server.faults.add(Fault(kind="delay", seconds=3.0, count=1, path="currencies"))
        started = time.monotonic()
        checks = {c.name: c for c in (check_salesforce(loaded), check_hubspot(loaded))}
        assert time.monotonic() - started < 2.5
    assert not checks["salesforce"].ok and "timed out" in checks["salesforce"].message, checks
    hubspot = checks["hubspot"]
    assert not hubspot.ok and "HubSpot gave no answer within 0.5 s" in hubspot.message, checks
