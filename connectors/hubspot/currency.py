"""Amounts in the store currency: converting a HubSpot account's amounts with its own exchange rates.

The store keeps every CRM amount in one currency, the store currency (`target`, the CURRENCY setting).
In a HubSpot multi-currency account a deal's `amount` is in its `deal_currency_code`, and currency
properties of other objects (a company's ARR) are in the company currency. The Settings API names the
company currency and the current exchange rates (`conversionRate`: how much of the company currency one
unit of `fromCurrencyCode` is worth). A deal in another currency also carries its own rate,
`hs_exchange_rate` (the same measure): HubSpot keeps an open deal's at the currency's current rate and a
closed (won or lost) deal's at the rate in effect when it closed, and its reports ("Amount in company
currency") use it. So, as HubSpot's reports show a deal:

    deal amount in X -> company currency      amount * the deal's hs_exchange_rate
                                              (the current rate[X] when the deal has no valid one:
                                              older records; rate 1 for the company currency)
    company currency -> store currency T      amount / rate[T]         (when T is not the company currency)

A result is rounded to cents once, at the end, half to even (`ROUND_HALF_EVEN`, as a number read from
HubSpot is rounded when nothing converts it). An `hs_exchange_rate` that is not a positive number is not
used: the current rate is, and only a deal with neither is reported.

`Money` is shared by the companies and deals streams of one run and reads the account's currencies once,
when the first of them starts: the company currency always, the exchange rates when T is another
currency (to convert into it), else only when a deal in another currency turns up (even one with its own
rate) or when the deals stream's cursor holds a fingerprint of them (`fingerprint`). A rate update
changes open deals' `hs_exchange_rate` without moving their modification date, so the deals stream lists
every deal again when the fingerprint differs from the cursor's (`streams.ObjectStream.pages`): in a
multi-currency account whose company currency is T that costs one rates read per run, even when no deal
in another currency changed. A single-currency account whose currency is T never has a fingerprint and
costs one Settings API read per run (the company currency).

- T neither the company currency nor one with a rate: `ConfigurationError` before anything is written.
- A deal in a currency with no rate and no valid rate of its own: stored without an amount, reported as a
  rejected record.
- A token without the `settings.currencies.read` scope: the sync goes on with what the records carry.
  ARR is stored as HubSpot sends it (taken to be in T); a deal in another currency than T with its own
  `hs_exchange_rate` is converted into the company currency, likewise taken to be T; a deal without one
  is stored without an amount and reported.
"""

from __future__ import annotations

import hashlib
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

    def read_rates(self) -> None:
        """Read the exchange rates now (at most once per run), so they can be compared with the ones an
        earlier run saw; nothing when the currencies cannot be read."""
        if self.rates is None and not self.unreadable and self.company is not None:
            self._load_rates()

    def fingerprint(self) -> str | None:
        """A short digest of the company currency and the exchange rates read this run (None: not read)."""
        if self.rates is None:
            return None
        text = ";".join(f"{c}={r.normalize()}" for c, r in sorted(self.rates.items()))
        return hashlib.sha256(f"{self.company}|{text}".encode()).hexdigest()[:16]

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

    def deal_amount(
        self, value: Decimal | None, code: str | None, own_rate: Any = None
    ) -> tuple[Decimal | None, str]:
        """(the amount in the store currency, "") for a deal's amount in currency `code` (None: the
        company currency) with its own `hs_exchange_rate` `own_rate` (as HubSpot sends it; None: not
        set), or (None, why it could not be converted)."""
        code = (code or "").strip().upper() or None
        if value is None:
            return None, ""
        if code == self.target or (code is None and self.unreadable):
            return to_cents(value), ""  # a deal in T; or, not knowing the currencies, taken to be in T
        own = _rate(own_rate)
        if self.unreadable:
            if own is not None:  # into the company currency, taken to be T (as ARR is)
                return to_cents(value * own), ""
            return None, (
                f"the amount is in {code} and could not be converted into {self.target}: the deal has "
                f"{self._no_own_rate(own_rate)} and the HubSpot token lacks the {READ_SCOPE} scope that "
                "reads the account's exchange rates (add it to the private app)"
            )
        source = code or self.company
        if source != self.company:
            rate = own or self._load_rates().get(str(source))
            if rate is None:
                return None, (
                    f"the amount is in {source}, a currency the HubSpot account has no exchange rate for, "
                    f"and the deal has {self._no_own_rate(own_rate)}, so it could not be converted into "
                    f"{self.target} (the account's currencies: {', '.join(sorted(self._load_rates()))})"
                )
            value = value * rate
        return self.company_amount(value), ""

    @staticmethod
    def _no_own_rate(own_rate: Any) -> str:
        if own_rate is None or str(own_rate).strip() == "":
            return "no exchange rate of its own (hs_exchange_rate)"
        return f"an hs_exchange_rate of {str(own_rate)!r}, which is not a positive number"
