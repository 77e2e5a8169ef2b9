"""The Settings API's currencies (read-only): the account's company currency and the current exchange
rates of its other currencies, which only a multi-currency account has.

    GET /settings/v3/currencies/company-currency         {"id": "USD", "createdAt": ...}
    GET /settings/v3/currencies/exchange-rates/current   {"results": [{"fromCurrencyCode": "EUR", ...}]}

Both need the `settings.currencies.read` scope: a token without it gets HubSpot's 403 MISSING_SCOPES.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.httpbase import Request, Response
from sandbox.hubspot.objects_api import ApiError
from sandbox.hubspot.state import iso_ms

READ_SCOPE = "settings.currencies.read"


class CurrenciesApi:
    def __init__(self, currency: str, exchange_rates: Mapping[str, float], created_ms: int) -> None:
        """`exchange_rates`: each other currency of the account -> how much of the company currency one
        unit of it is worth (HubSpot's conversionRate)."""
        self.currency = currency
        self.exchange_rates = dict(exchange_rates)
        self.created_ms = created_ms
        self.missing_scopes: set[str] = set()

    def codes(self) -> tuple[str, ...]:
        """The account's currencies, the company currency first: the options of a deal's currency."""
        return (self.currency, *(c for c, _ in self._others()))

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
        return {
            "id": str(1_000_001 + index),
            "fromCurrencyCode": code,
            "toCurrencyCode": self.currency,
            "conversionRate": rate,
            "effectiveAt": created,
            "createdAt": created,
            "updatedAt": created,
            "visibleInUI": True,
        }
