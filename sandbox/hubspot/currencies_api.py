"""The Settings API's currencies (read-only): the account's company currency and the current exchange
rates of its other currencies, which only a multi-currency account has.

    GET /settings/v3/currencies/company-currency         {"id": "USD", "createdAt": ...}
    GET /settings/v3/currencies/exchange-rates/current   {"results": [{"fromCurrencyCode": "EUR", ...}]}

Both need the `settings.currencies.read` scope: a token without it gets HubSpot's 403 MISSING_SCOPES.

A deal in another currency than the company currency carries its own exchange rate, `hs_exchange_rate`
(a number, sent as a string like every property): while the deal is open HubSpot keeps it at the
currency's current rate; once it is closed (won or lost) it keeps the rate in effect when it closed, and
later rate updates leave it alone. A rate update changes open deals' rate without moving their
modification date. HubSpot calculates it, so the API refuses to write it (`objects_api._READ_ONLY`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.httpbase import Request, Response
from sandbox.hubspot.objects_api import ApiError
from sandbox.hubspot.schema import CLOSED_DEAL_STAGES, CURRENCY_PROPERTY, EXCHANGE_RATE_PROPERTY
from sandbox.hubspot.state import iso_ms

READ_SCOPE = "settings.currencies.read"


class CurrenciesApi:
    def __init__(self, currency: str, exchange_rates: Mapping[str, float], created_ms: int) -> None:
        """`exchange_rates`: each other currency of the account -> how much of the company currency one
        unit of it is worth (HubSpot's conversionRate)."""
        self.currency = currency
        self.exchange_rates = dict(exchange_rates)
        self.created_ms = created_ms
        self.updated_ms: dict[str, int] = {}  # currency -> when its rate was last set (else created_ms)
        self.missing_scopes: set[str] = set()

    def codes(self) -> tuple[str, ...]:
        """The account's currencies, the company currency first: the options of a deal's currency."""
        return (self.currency, *(c for c, _ in self._others()))

    def set_rate(self, code: str, rate: float, now_ms: int) -> None:
        """A new current rate for one of the account's other currencies."""
        if code == self.currency or code not in self.exchange_rates:
            raise KeyError(f"{code} is not one of the account's other currencies ({', '.join(self.codes())})")
        self.exchange_rates[code] = rate
        self.updated_ms[code] = now_ms

    def rate_text(self, code: str) -> str | None:
        """A deal's `hs_exchange_rate` for a deal in `code` at the current rate (None: the company currency
        or one without a rate)."""
        rate = self.exchange_rates.get(code) if code != self.currency else None
        return None if rate is None else str(Decimal(str(rate)).normalize())

    def with_exchange_rate(
        self, object_type: str, before: Mapping[str, str | None] | None, changes: dict[str, str | None]
    ) -> dict[str, str | None]:
        """`changes` to a record (`before`: its properties, None for a new one) with the deal's exchange
        rate as HubSpot keeps it: the current rate while the deal is open or when it closes or changes
        currency; a closed deal's rate is left as it is."""
        if object_type != "deals":
            return changes
        old = dict(before or {})
        merged = {**old, **changes}
        code = merged.get(CURRENCY_PROPERTY) or self.currency
        if code != self.currency and code not in self.exchange_rates:
            return changes  # a currency the account no longer has: the value stays as it is
        stays_closed = (
            before is not None
            and old.get("dealstage") in CLOSED_DEAL_STAGES
            and merged.get("dealstage") in CLOSED_DEAL_STAGES
            and (old.get(CURRENCY_PROPERTY) or self.currency) == code
        )
        if stays_closed and (old.get(EXCHANGE_RATE_PROPERTY) or code == self.currency):
            return changes  # closed: its rate stays the one in effect when it closed
        rate = self.rate_text(code)
        if old.get(EXCHANGE_RATE_PROPERTY) == rate:
            return changes
        return {**changes, EXCHANGE_RATE_PROPERTY: rate}

    def handle(self, request: Request, parts: list[str]) -> Response:
        """`parts`: the path after /settings/v3/currencies."""
        if request.method != "GET":
            raise ApiError(405, "VALIDATION_ERROR", "the sandbox account's currencies are read-only")
        if READ_SCOPE in self.missing_scopes:
            raise ApiError(
                403,
                "MISSING_SCOPES",
                "This app hasn't been granted all required scopes to make this call. "
                "Read more about required scopes here: https://developers.hubspot.com/scopes.",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": [READ_SCOPE]},
                    }
                ],
                links={"scopes": "https://developers.hubspot.com/scopes"},
            )
        created = iso_ms(self.created_ms)
        if parts == ["company-currency"]:
            return Response(200, {"id": self.currency, "createdAt": created})
        if parts == ["exchange-rates", "current"]:
            return Response(
                200, {"results": [self._rate(i, c, r) for i, (c, r) in enumerate(self._others())]}
            )
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}")

    def _others(self) -> list[tuple[str, float]]:
        return sorted((c, r) for c, r in self.exchange_rates.items() if c != self.currency)

    def _rate(self, index: int, code: str, rate: float) -> dict[str, Any]:
        created = iso_ms(self.created_ms)
        updated = iso_ms(self.updated_ms.get(code, self.created_ms))
        return {
            "id": str(1_000_001 + index),
            "fromCurrencyCode": code,
            "toCurrencyCode": self.currency,
            "conversionRate": rate,
            "effectiveAt": updated,
            "createdAt": created,
            "updatedAt": updated,
            "visibleInUI": True,
        }
