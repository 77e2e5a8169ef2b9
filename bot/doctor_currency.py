"""`retainer doctor`: the currency each CRM keeps amounts in, against CURRENCY.

The store keeps CRM amounts in CURRENCY and messages show them in it. A single-currency CRM's own
currency must therefore be CURRENCY: nothing converts its amounts. A multi-currency CRM (every record,
or every deal, in its own currency) is converted at sync with its own exchange rates, which needs a
rate for CURRENCY: CURRENCY must be one of its currencies. A currency the token may not read is only
reported. A Salesforce org with advanced currency management is named as such: its opportunities are
converted at the dated rates of their close dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from connectors.hubspot.currency import COMPANY_CURRENCY, EXCHANGE_RATES, READ_SCOPE

if TYPE_CHECKING:
    from simple_salesforce.api import Salesforce, SFType

    from connectors.hubspot.calls import HubSpotCalls

# What Salesforce answers for an object or field the integration user may not see.
_SF_NO_ACCESS = {"INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "INVALID_TYPE", "INVALID_FIELD"}


@dataclass(frozen=True)
class CrmCurrency:
    code: str | None  # the org's own currency; None when it could not be read
    others: tuple[str, ...] = ()  # a multi-currency org's other currencies
    multi: bool = False
    unreadable: str = ""  # why `code` could not be read
    dated: bool = False  # Salesforce: advanced currency management (dated exchange rates) is on


def salesforce_currency(sf: Salesforce) -> CrmCurrency:
    """The org's DefaultCurrencyIsoCode; multi-currency when Account has a CurrencyIsoCode field."""
    from simple_salesforce.exceptions import SalesforceError

    fields = {f["name"]: f for f in cast("SFType", sf.Account).describe()["fields"]}
    picklist = [str(v["value"]) for v in (fields.get("CurrencyIsoCode") or {}).get("picklistValues", [])]
    code, unreadable = None, ""
    try:
        rows = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")["records"]
    except SalesforceError as exc:
        content: Any = exc.content
        error: dict[str, Any] = content[0] if isinstance(content, list) and content else {}
        if not isinstance(error, dict) or error.get("errorCode") not in _SF_NO_ACCESS:
            raise
        unreadable = f"{error['errorCode']}: {error.get('message', '')}"[:200]
    else:
        value = rows[0].get("DefaultCurrencyIsoCode") if rows else None
        code = str(value).upper() if value else None
        unreadable = "" if code else "the Organization record has no DefaultCurrencyIsoCode"
    multi = "CurrencyIsoCode" in fields
    return CrmCurrency(
        code,
        tuple(c for c in picklist if c != code),
        multi=multi,
        unreadable=unreadable,
        dated=multi and _queryable(sf, "DatedConversionRate"),
    )


def _queryable(sf: Salesforce, sobject: str) -> bool:
    """Whether the org has `sobject` (Salesforce answers INVALID_TYPE for an object it lacks)."""
    from simple_salesforce.exceptions import SalesforceError

    try:
        sf.query(f"SELECT Id FROM {sobject} LIMIT 1")
    except SalesforceError as exc:
        content: Any = exc.content
        error: dict[str, Any] = content[0] if isinstance(content, list) and content else {}
        if isinstance(error, dict) and error.get("errorCode") in _SF_NO_ACCESS:
            return False
        raise
    return True


def hubspot_currency(calls: HubSpotCalls) -> CrmCurrency:
    """The account's company currency; multi-currency when it has exchange rates to other currencies.
    Read through the connector's own Settings API path (`HubSpotCalls.get_json`: timeout, errors)."""
    company, refused = _hubspot_get(calls, COMPANY_CURRENCY)
    if refused:
        return CrmCurrency(None, unreadable=refused)
    value = company.get("id") or company.get("currencyCode")
    code = str(value).upper() if value else None
    if code is None:
        return CrmCurrency(None, unreadable="the answer names no company currency")
    rates, refused = _hubspot_get(calls, EXCHANGE_RATES)
    if refused:
        return CrmCurrency(code, unreadable=refused)
    others = sorted({str(r["fromCurrencyCode"]) for r in rates.get("results", [])} - {code})
    return CrmCurrency(code, tuple(others), multi=bool(others))


def _hubspot_get(calls: HubSpotCalls, path: str) -> tuple[dict[str, Any], str]:
    """(body, "") on success; ({}, why) when the token may not read it; raises on any other failure."""
    from connectors.errors import AuthError

    try:
        body = calls.get_json("currencies", path)
    except AuthError as exc:
        if exc.code == "MISSING_SCOPES":
            return {}, f"the token lacks the {READ_SCOPE} scope"
        return {}, str(exc)[:200]
    return (body if isinstance(body, dict) else {}), ""


def currency_verdict(crm: CrmCurrency, configured: str, org: str) -> tuple[bool, str]:
    """(ok, what to add to the check's line) for the CRM's currency against CURRENCY (`configured`)."""
    if crm.multi:
        currencies = [c for c in (crm.code, *crm.others) if c]
        codes = ", ".join(currencies)
        if configured in currencies:
            dated = " (opportunities at the dated rates of their close dates)" if crm.dated else ""
            return True, (
                f"the {org} is multi-currency ({codes}): amounts are stored in {configured} at its "
                f"exchange rates{dated}"
            )
        return False, (
            f"the {org} is multi-currency ({codes}) and has no exchange rate for CURRENCY={configured}: "
            "set CURRENCY to one of its currencies; until then the sync stops before writing amounts"
        )
    if crm.code is None:
        return (
            True,
            f"could not read the {org}'s currency ({crm.unreadable}), so CURRENCY={configured} is unchecked",
        )
    if crm.code != configured:
        return False, (
            f"the {org} keeps amounts in {crm.code} but CURRENCY is {configured}: set CURRENCY={crm.code}"
        )
    return True, f"amounts in {configured}"
