"""Amounts of a multi-currency org, converted into the store currency.

The store keeps every CRM amount in one currency, the `CURRENCY` setting (`target` here). In a
multi-currency org each Account and Opportunity keeps its amounts in its own currency (its
`CurrencyIsoCode`), and the org's CurrencyType records give each currency's ConversionRate: how many
units of it one unit of the corporate currency buys. An amount in currency X is therefore
`amount / rate[X] * rate[target]` in the store currency, rounded to the cent, half to even (as the
HubSpot connector rounds). The rates are read when a stream that holds amounts starts (once per
stream and run) and kept in its cursor: when an admin updates a rate, or CURRENCY changes, the next run
reads the stream's records again from the start, so every stored amount is at the current rates, not
only the records edited since.

A single-currency org has no CurrencyType (the query answers INVALID_TYPE): nothing is converted, and
`retainer doctor` checks that the org's currency is CURRENCY. Orgs with advanced currency management
keep dated rates for opportunities (DatedConversionRate); those are converted at the current rate too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from connectors.errors import ConfigurationError, RecordRejected
from connectors.salesforce.api import SOURCE, SalesforceApi

# The store columns that hold amounts, by mapping entity.
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {"account": ("arr",), "deal": ("amount",)}
CURRENCY_FIELD = "CurrencyIsoCode"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class MoneyConverter:
    """Converts an org's amounts into `target`, from the org's rates (`rates[code]`: ConversionRate)."""

    target: str
    corporate: str
    rates: dict[str, Decimal]

    def convert(self, amount: Decimal, code: str | None) -> Decimal:
        """`amount`, kept in `code` (None: the corporate currency), in the target currency; KeyError for
        a currency the org has no rate for."""
        code = code or self.corporate
        if code == self.target:
            return amount
        return (amount / self.rates[code] * self.rates[self.target]).quantize(_CENT, ROUND_HALF_EVEN)

    def fingerprint(self) -> dict[str, str]:
        """What the stored amounts depend on, as the stream's cursor keeps it (JSON)."""
        return {"target": self.target, **{code: str(rate) for code, rate in sorted(self.rates.items())}}


def read_converter(api: SalesforceApi, target: str) -> MoneyConverter | None:
    """The converter for a multi-currency org, or None for a single-currency org.

    Every CurrencyType counts, inactive ones too: a record may still keep its amounts in a currency an
    admin has since deactivated, and its rate stays valid. A target the org has no rate for is a
    ConfigurationError: nothing could be stored right."""
    try:
        rows = api.query("SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType")
    except RecordRejected as exc:
        if exc.code == "INVALID_TYPE":
            return None
        raise
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


def _rate(record: dict[str, Any]) -> Decimal:
    rate = Decimal(str(record["ConversionRate"]))
    if rate <= 0:
        raise ConfigurationError(
            f"the org's conversion rate for {record['IsoCode']} is {rate}, not a usable rate", source=SOURCE
        )
    return rate
