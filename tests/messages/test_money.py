"""Amounts in the CRMs' currency: the symbol where it is unambiguous, else the ISO code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings
from bot.wiring import bootstrap
from messages.alerts import alert_message
from messages.money import check_currency, current_currency, money, set_currency
from messages.surfaces import portfolio_summary
from tests.messages import samples


@pytest.fixture
def restore_currency() -> Iterator[None]:
    before = current_currency()
    yield
    set_currency(before)


def test_amounts_carry_their_currency() -> None:
    assert [money(12_345, c) for c in ("USD", "EUR", "GBP", "CAD", "JPY")] == [
        "$12K",
        "€12K",
        "£12K",
        "CA$12K",
        "¥12K",
    ]
    assert money(-2_500_000, "EUR") == "−€2.5M"
    assert money(950, "CHF") == "CHF\u00a0950"  # no symbol of its own: the code, kept on one line
    assert money(None, "EUR") == "n/a"


def test_currency_codes_are_checked() -> None:
    assert check_currency(" eur ") == "EUR"
    for bad in ("EURO", "€", "E1R", ""):
        with pytest.raises(ValueError, match="ISO 4217"):
            check_currency(bad)


def test_messages_show_the_configured_currency(restore_currency: None) -> None:
    alert = samples.alert("usage_decline")
    assert "$" in json.dumps(alert_message(alert).as_kwargs(), ensure_ascii=False)
    set_currency("EUR")
    alert_raw = json.dumps(alert_message(alert).as_kwargs(), ensure_ascii=False)
    portfolio_raw = json.dumps(portfolio_summary(samples.portfolio()).as_kwargs(), ensure_ascii=False)
    for raw in (alert_raw, portfolio_raw):
        assert "€" in raw and "$" not in raw


def test_the_currency_setting_is_validated_and_applied_at_start_up(
    restore_currency: None, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"CURRENCY: .*ISO 4217"):
        load_settings(currency="euro")
    settings = load_settings(currency="gbp", database_url=f"sqlite:///{tmp_path}/r.db")
    assert settings.currency == "GBP"
    bootstrap(settings, with_slack=False)
    assert current_currency() == "GBP" and money(60_000) == "£60K"
