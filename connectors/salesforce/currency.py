"""Amounts of a multi-currency org, converted into the store currency.

The store keeps every CRM amount in one currency, the `CURRENCY` setting (`target` here). In a
multi-currency org each Account and Opportunity keeps its amounts in its own currency (its
`CurrencyIsoCode`), and the org's CurrencyType records give each currency's ConversionRate: how many
units of it one unit of the corporate currency buys. An amount in currency X is therefore
`amount / rate[X] * rate[target]` in the store currency, rounded to the cent, half to even (as the
HubSpot connector rounds).

Advanced currency management: an org that has it keeps dated rates (DatedConversionRate: a rate per
currency from a StartDate to the next range's), and Salesforce converts an opportunity's amounts at the
rates of the range its CloseDate falls in, while other objects (an Account's ARR) keep the current rate.
The store does the same: a deal's amount converts at the dated rates of its `close_date` (the column
CloseDate fills), both its currency's and the target's; a date before a currency's first range falls
back to its current rate. An org without the feature answers the query INVALID_TYPE: every amount
converts at the current rates.

The rates are read once per run (`CurrencyReader`, shared by the streams of one `build_streams`; the
dated ones only when the Opportunity stream starts) and kept in each money stream's cursor: when an
admin updates a rate or adds a dated range, or CURRENCY changes, the next run reads that stream's records
again from the start, so every stored amount is at the rates in force, not only the records edited since.
A change to dated rates rereads opportunities only.

A single-currency org has no CurrencyType (the query answers INVALID_TYPE; one request per run): nothing
is converted, and `retainer doctor` checks that the org's currency is CURRENCY.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from connectors.errors import ConfigurationError, RecordRejected
from connectors.salesforce.api import SOURCE, SalesforceApi

# The store columns that hold amounts, by mapping entity.
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {"account": ("arr",), "deal": ("amount",)}
CURRENCY_FIELD = "CurrencyIsoCode"
_CENT = Decimal("0.01")
CURRENT_RATES = "SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType"
DATED_RATES = "SELECT IsoCode, ConversionRate, StartDate FROM DatedConversionRate ORDER BY IsoCode, StartDate"
Ranges = tuple[tuple[date, ...], tuple[Decimal, ...]]  # a currency's range starts (ascending), their rates


@dataclass(frozen=True)
class MoneyConverter:
    """Converts an org's amounts into `target`, from the org's rates (`rates[code]`: ConversionRate) and,
    with advanced currency management, its dated rates (`dated[code]`)."""

    target: str
    corporate: str
    rates: dict[str, Decimal]
    dated: dict[str, Ranges] | None = None

    def convert(self, amount: Decimal, code: str | None, on: date | None = None) -> Decimal:
        """`amount`, kept in `code` (None: the corporate currency), in the target currency, at the rates
        in force `on` (None: the current rates); KeyError for a currency the org has no rate for."""
        code = code or self.corporate
        if code == self.target:
            return amount
        return (amount / self._rate(code, on) * self._rate(self.target, on)).quantize(_CENT, ROUND_HALF_EVEN)

    def _rate(self, code: str, on: date | None) -> Decimal:
        if on is not None and self.dated and code in self.dated:
            starts, rates = self.dated[code]
            index = bisect_right(starts, on) - 1
            if index >= 0:
                return rates[index]
        return self.rates[code]

    def fingerprint(self, *, dated: bool = False) -> dict[str, str]:
        """What the stored amounts depend on, as the stream's cursor keeps it (JSON): the current rates,
        and for `dated` amounts a digest of the dated ones."""
        out = {"target": self.target, **{code: str(rate) for code, rate in sorted(self.rates.items())}}
        if dated and self.dated is not None:
            ranges = [
                f"{code} {start} {rate}"
                for code, (starts, rates) in sorted(self.dated.items())
                for start, rate in zip(starts, rates, strict=True)
            ]
            out["dated"] = hashlib.sha256("\n".join(ranges).encode()).hexdigest()[:16]
        return out


class CurrencyReader:
    """The org's rates, read once per run and shared by the streams of one `build_streams`.

    The first stream that asks reads the current rates; the dated ones are read when a stream asks for
    them (the Opportunity stream). A stream that asks again is in a new run: the rates are read again."""

    def __init__(self, api: SalesforceApi, target: str) -> None:
        self.api, self.target = api, target
        self._converter: MoneyConverter | None = None
        self._dated_read = False
        self._asked: set[str] = set()  # the streams served since the rates were read (none: not read yet)

    def converter(self, stream: str, *, dated: bool = False) -> MoneyConverter | None:
        """The converter for `stream`, None in a single-currency org."""
        if not self._asked or stream in self._asked:
            self._converter, self._dated_read = read_converter(self.api, self.target), False
            self._asked = set()
        self._asked.add(stream)
        if dated and self._converter is not None and not self._dated_read:
            self._converter = replace(self._converter, dated=read_dated_rates(self.api))
            self._dated_read = True
        return self._converter


def read_converter(api: SalesforceApi, target: str) -> MoneyConverter | None:
    """The converter for a multi-currency org, or None for a single-currency org.

    Every CurrencyType counts, inactive ones too: a record may still keep its amounts in a currency an
    admin has since deactivated, and its rate stays valid. A target the org has no rate for is a
    ConfigurationError: nothing could be stored right."""
    rows = _query_if_present(api, CURRENT_RATES)
    if rows is None:
        return None
    rates = {str(r["IsoCode"]).upper(): _rate(r) for r in rows}
    corporate = next((str(r["IsoCode"]).upper() for r in rows if r.get("IsCorporate")), None)
    if corporate is None or target not in rates:
        codes = ", ".join(sorted(rates)) or "none"
        raise ConfigurationError(
            f"CURRENCY is {target}, but this multi-currency org has no conversion rate for it (its "
            f"currencies: {codes}): set CURRENCY to one of them, or add {target} to the org's currencies",
            source=SOURCE,
            code="CURRENCY",
        )
    return MoneyConverter(target, corporate, rates)


def read_dated_rates(api: SalesforceApi) -> dict[str, Ranges] | None:
    """The org's dated rates by currency, or None when it does not have advanced currency management."""
    rows = _query_if_present(api, DATED_RATES)
    if rows is None:
        return None
    by_code: dict[str, list[tuple[date, Decimal]]] = {}
    for r in rows:
        by_code.setdefault(str(r["IsoCode"]).upper(), []).append(
            (date.fromisoformat(r["StartDate"]), _rate(r))
        )
    return {
        code: (tuple(d for d, _ in ranges), tuple(rate for _, rate in ranges))
        for code, ranges in ((c, sorted(v)) for c, v in by_code.items())
    }


def _query_if_present(api: SalesforceApi, soql: str) -> list[dict[str, Any]] | None:
    """The query's records, or None when the org lacks the object (Salesforce answers INVALID_TYPE)."""
    try:
        return api.query(soql)
    except RecordRejected as exc:
        if exc.code == "INVALID_TYPE":
            return None
        raise


def _rate(record: dict[str, Any]) -> Decimal:
    rate = Decimal(str(record["ConversionRate"]))
    if rate <= 0:
        raise ConfigurationError(
            f"the org's conversion rate for {record['IsoCode']} is {rate}, not a usable rate", source=SOURCE
        )
    return rate
