"""The org's own read-only records, built from its settings and never stored: the Organization, and in
a multi-currency org one CurrencyType per currency.

A CurrencyType's ConversionRate is how many units of that currency one unit of the corporate currency
(the org's own, `IsCorporate`) buys, as Salesforce keeps it: the corporate currency's rate is 1, and an
amount in currency X is worth `amount / rate[X]` in the corporate currency.

With advanced currency management (`dated`) each currency also has DatedConversionRate records, one per
date range: a range runs from its StartDate to the day before the next range's (its NextStartDate,
null for the last). When an admin turns the feature on, each currency's current rate becomes its first
range, starting 0001-01-01; `add_dated_rate` is the admin adding a range.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sandbox.salesforce.ids import KEY_PREFIXES, make_id
from sandbox.salesforce.schema import org_currencies

ORGANIZATION_ID = make_id(KEY_PREFIXES["Organization"], 1)
_ORG_CREATED = "2020-01-06T09:00:00.000+0000"

# Units of each currency one US dollar buys: the sandbox's fixed exchange rates.
PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "CAD": 1.36, "AUD": 1.52, "CHF": 0.88}


def conversion_rates(currency: str) -> dict[str, float]:
    """ConversionRate of each currency of a multi-currency org whose corporate currency is `currency`
    (a currency missing from PER_USD counts as worth one dollar)."""
    base = PER_USD.get(currency, 1.0)
    return {code: round(PER_USD.get(code, 1.0) / base, 6) for code in org_currencies(currency)}


def _stamps() -> dict[str, Any]:
    return {"CreatedDate": _ORG_CREATED, "LastModifiedDate": _ORG_CREATED, "SystemModstamp": _ORG_CREATED}


def org_records(
    currency: str, multi_currency: bool, dated: bool = False
) -> dict[str, dict[str, dict[str, Any]]]:
    """The read-only records by sObject: the Organization, CurrencyType in a multi-currency org, and
    DatedConversionRate with advanced currency management (`dated`)."""
    out: dict[str, dict[str, dict[str, Any]]] = {
        "Organization": {
            ORGANIZATION_ID: {
                "Id": ORGANIZATION_ID,
                "IsDeleted": False,
                "Name": "Retainer Sandbox",
                "DefaultCurrencyIsoCode": currency,
                **_stamps(),
            }
        }
    }
    if multi_currency:
        out["CurrencyType"] = {}
        for n, (code, rate) in enumerate(conversion_rates(currency).items(), start=1):
            record_id = make_id(KEY_PREFIXES["CurrencyType"], n)
            out["CurrencyType"][record_id] = {
                "Id": record_id,
                "IsDeleted": False,
                "IsoCode": code,
                "ConversionRate": rate,
                "DecimalPlaces": 0 if code == "JPY" else 2,
                "IsActive": True,
                "IsCorporate": code == currency,
                **_stamps(),
            }
    if multi_currency and dated:
        out["DatedConversionRate"] = {}
        for code, rate in conversion_rates(currency).items():
            add_dated_rate(out["DatedConversionRate"], code, date(1, 1, 1), rate, _ORG_CREATED)
    return out


def add_dated_rate(
    records: dict[str, dict[str, Any]], code: str, start: date, rate: float, stamp: str
) -> dict[str, Any]:
    """Set `code`'s rate from `start` on (a new range, or the rate of the range that starts then), and
    each of its ranges' NextStartDate again. Returns the range's record."""
    mine = sorted((r for r in records.values() if r["IsoCode"] == code), key=lambda r: r["StartDate"])
    record = next((r for r in mine if r["StartDate"] == start.isoformat()), None)
    if record is None:
        record_id = make_id(KEY_PREFIXES["DatedConversionRate"], len(records) + 1)
        record = {"Id": record_id, "IsDeleted": False, "IsoCode": code, "StartDate": start.isoformat()}
        record["CreatedDate"] = stamp
        records[record_id] = record
        mine = sorted([*mine, record], key=lambda r: r["StartDate"])
    record.update(ConversionRate=rate, LastModifiedDate=stamp, SystemModstamp=stamp)
    for this, following in zip(mine, [*mine[1:], None], strict=True):
        this["NextStartDate"] = following["StartDate"] if following else None
    return record
