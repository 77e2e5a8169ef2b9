"""The HubSpot sandbox app: authentication, rate limits and routing to the API modules."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sandbox.httpbase import Clock, Request, Response
from sandbox.hubspot.associations_api import AssociationsApi, properties_response
from sandbox.hubspot.currencies_api import CurrenciesApi
from sandbox.hubspot.objects_api import ApiError, ObjectsApi
from sandbox.hubspot.ratelimit import RollingLimit
from sandbox.hubspot.records import error
from sandbox.hubspot.schema import OBJECT_TYPES
from sandbox.hubspot.search import DEFAULT_CAP
from sandbox.hubspot.state import State, to_ms

DAILY_LIMIT = 250_000

_CATEGORY = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITS",
}


class HubSpotApp:
    def __init__(
        self,
        state: State,
        clock: Clock,
        access_token: str,
        rate_limit: tuple[int, float],
        search_rate: int,
        currency: str = "USD",
        exchange_rates: Mapping[str, float] | None = None,
    ) -> None:
        self.state = state
        self.clock = clock
        self.access_token = access_token
        self.limit = RollingLimit(*rate_limit)
        self.search_limit = RollingLimit(search_rate, 1.0)
        self.search_cap = DEFAULT_CAP
        self.daily_used = 0
        self.currencies = CurrenciesApi(currency, exchange_rates or {}, self.now_ms())
        self.objects = ObjectsApi(
            state,
            self.now_ms,
            lambda: self.search_cap,
            self.currencies.codes(),
            self.currencies.with_exchange_rate,
        )
        self.associations = AssociationsApi(state, self.now_ms)

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def error_response(self, status: int, message: str) -> Response:
        if status == 429:  # HubSpot's 429s always carry the rate-limit headers
            return self._too_many("TEN_SECONDLY_ROLLING", self._rate_headers(0))
        category = _CATEGORY.get(status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
        return Response(status, error(status, category, message, str(uuid.uuid4())))

    def _rate_headers(self, remaining: int) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, DAILY_LIMIT - self.daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.limit.interval * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.limit.max),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
        }

    def _too_many(self, policy: str, headers: dict[str, str]) -> Response:
        limit = "ten_secondly_rolling" if policy == "TEN_SECONDLY_ROLLING" else "secondly"
        body = error(
            429,
            "RATE_LIMITS",
            f"You have reached your {limit} limit.",
            str(uuid.uuid4()),
            errorType="RATE_LIMIT",
            policyName=policy,
        )
        return Response(429, body, headers)

    def handle(self, request: Request) -> Response:
        if request.header("authorization") != f"Bearer {self.access_token}":
            return Response(
                401,
                error(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                    "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    str(uuid.uuid4()),
                ),
            )
        is_search = request.method == "POST" and request.path.endswith("/search")
        if is_search:
            allowed, remaining = self.search_limit.take()
            headers = {
                "X-HubSpot-RateLimit-Secondly": str(self.search_limit.max),
                "X-HubSpot-RateLimit-Secondly-Remaining": str(remaining),
            }
            if not allowed:
                return self._too_many("SECONDLY", headers)
        else:
            allowed, remaining = self.limit.take()
            headers = self._rate_headers(remaining)
            if not allowed:
                return self._too_many("TEN_SECONDLY_ROLLING", headers)
        self.daily_used += 1
        try:
            response = self._route(request)
        except ApiError as exc:
            body: dict[str, Any] = error(exc.status, exc.category, str(exc), str(uuid.uuid4()), **exc.more)
            response = Response(exc.status, body)
        except (ValueError, KeyError, TypeError) as exc:
            response = self.error_response(400, f"Invalid input JSON: {type(exc).__name__}: {exc}")
        response.headers.update(headers)
        return response

    def _route(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4 and parts[3] in OBJECT_TYPES:
            return self.objects.handle(request, parts[3], parts[4:])
        if parts[:3] == ["crm", "v4", "objects"]:
            return self.associations.handle_object(request, parts[3:])
        if parts[:3] == ["crm", "v4", "associations"] and len(parts) >= 6:
            return self.associations.handle_pair(request, parts[3:])
        if parts[:3] == ["crm", "v3", "properties"] and len(parts) >= 4:
            return properties_response(request, parts[3:], self.currencies.codes())
        if parts[:3] == ["settings", "v3", "currencies"]:
            return self.currencies.handle(request, parts[3:])
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}")
