"""Amounts in the store currency: converting a HubSpot account's amounts with its own exchange rates.

The store keeps every CRM amount in one currency, the store currency (`target`, the CURRENCY setting).
In a HubSpot multi-currency account a deal's `amount` is in its `deal_currency_code`, and currency
properties of other objects (a company's ARR) are in the company currency. The Settings API names the
company currency and the current exchange rates (`conversionRate`: how much of the company currency one
unit of `fromCurrencyCode` is worth). So:

    deal amount in X -> company currency      amount * rate[X]         (rate 1 for the company currency)
    company currency -> store currency T      amount / rate[T]         (when T is not the company currency)

A result is rounded to cents once, at the end, half to even (`ROUND_HALF_EVEN`, as a number read from
HubSpot is rounded when nothing converts it).

`Money` is shared by the companies and deals streams of one run and reads the account's currencies once,
when the first of them starts: the company currency always, the exchange rates when T is another
currency (to convert into it), else only when a deal in another currency turns up. A single-currency
account whose currency is T therefore costs one Settings API read per run.

- T neither the company currency nor one with a rate: `ConfigurationError` before anything is written.
- A deal whose currency has no rate: stored without an amount, reported as a rejected record.
- A token without the `settings.currencies.read` scope: nothing is converted and the sync goes on. ARR
  is stored as HubSpot sends it (taken to be in T); a deal that names another currency than T is stored
  without an amount and reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from connectors.errors import AuthError, ConfigurationError
from connectors.hubspot.calls import HubSpotCalls

SOURCE = "hubspot"
COMPANY_CURRENCY = "/settings/v3/currencies/company-currency"
EXCHANGE_RATES = "/settings/v3/currencies/exchange-rates/current"
READ_SCOPE = "settings.currencies.read"
CENTS = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_EVEN)


def _rate(value: Any) -> Decimal | None:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return rate if rate.is_finite() and rate > 0 else None


class Money:
    def __init__(self, calls: HubSpotCalls, target: str = "USD") -> None:
        self.calls = calls
        self.target = target.upper()
        self.company: str | None = None
        self.rates: dict[str, Decimal] | None = None  # currency -> company currency per unit; None: unread
        self.unreadable = False  # the token may not read the account's currencies
        self._prepared = False

    # -- reading the account's currencies (once per run) --------------------------------------------

    def prepare(self) -> None:
        """Learn the company currency (and the rates when the store currency is another one). Raises
        `ConfigurationError` when the store currency is not among the account's currencies."""
        if self._prepared:
            return
        self._prepared = True
        body = self._read(COMPANY_CURRENCY)
        if body is None:
            return
        code = str(body.get("id") or body.get("currencyCode") or "").upper()
        if not code:
            raise ConfigurationError("HubSpot's Settings API named no company currency", source=SOURCE)
        self.company = code
        if self.target != code:
            rates = self._load_rates()
            if not self.unreadable and self.target not in rates:
                raise ConfigurationError(self._not_an_account_currency(rates), source=SOURCE)

    def need_rates(self, codes: Iterable[str | None]) -> None:
        """Read the exchange rates now if a deal in one of `codes` will need them (at most once)."""
        if self.rates is not None or self.unreadable or self.company is None:
            return
        if any((c or "").strip().upper() not in ("", self.company) for c in codes):
            self._load_rates()

    def _read(self, path: str) -> dict[str, Any] | None:
        """The answer, or None when the token lacks the scope (the sync goes on without converting)."""
        try:
            body = self.calls.get_json("currencies", path)
        except AuthError as exc:
            if exc.code != "MISSING_SCOPES":
                raise
            self.unreadable = True
            return None
        return body if isinstance(body, dict) else {}

    def _load_rates(self) -> dict[str, Decimal]:
        if self.rates is None:
            body = self._read(EXCHANGE_RATES)
            rates: dict[str, Decimal] = {}
            for item in (body or {}).get("results") or []:
                to = str(item.get("toCurrencyCode") or self.company).upper()
                rate = _rate(item.get("conversionRate"))
                if to == self.company and rate is not None and item.get("fromCurrencyCode"):
                    rates[str(item["fromCurrencyCode"]).upper()] = rate
            self.rates = {**rates, **({self.company: Decimal(1)} if self.company else {})}
        return self.rates

    def _not_an_account_currency(self, rates: dict[str, Decimal]) -> str:
        codes = ", ".join([str(self.company), *sorted(set(rates) - {self.company})])
        return (
            f"CURRENCY is {self.target}, which is not one of the HubSpot account's currencies ({codes}; "
            f"company currency {self.company}), so HubSpot has no exchange rate to convert its amounts into "
            f"{self.target}. Set CURRENCY to one of {codes}, or add {self.target} to the account's "
            "currencies in HubSpot (Settings > Account Defaults > Currency) and sync again"
        )

    # -- converting ---------------------------------------------------------------------------------

    def company_amount(self, value: Decimal | None) -> Decimal | None:
        """An amount in the company currency (a company's ARR) in the store currency."""
        if value is None:
            return None
        if self.unreadable or self.company in (None, self.target):
            return to_cents(value)
        return to_cents(value / self._load_rates()[self.target])

    def deal_amount(self, value: Decimal | None, code: str | None) -> tuple[Decimal | None, str]:
        """(the amount in the store currency, "") for a deal's amount in currency `code` (None: the
        company currency), or (None, why it could not be converted)."""
        code = (code or "").strip().upper() or None
        if value is None:
            return None, ""
        if code == self.target or (code is None and self.unreadable):
            return to_cents(value), ""  # a deal in T; or, not knowing the currencies, taken to be in T
        if self.unreadable:
            return None, (
                f"the amount is in {code} and could not be converted into {self.target}: the HubSpot "
                f"token lacks the {READ_SCOPE} scope that reads the account's exchange rates (add it to "
                "the private app)"
            )
        source = code or self.company
        if source != self.company:
            rate = self._load_rates().get(str(source))
            if rate is None:
                return None, (
                    f"the amount is in {source}, a currency the HubSpot account has no exchange rate for, "
                    f"so it could not be converted into {self.target} (its currencies: "
                    f"{', '.join(sorted(self._load_rates()))})"
                )
            value = value * rate
        return self.company_amount(value), ""
