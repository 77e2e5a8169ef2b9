"""Every HubSpot call the connector makes, in one place: throttled by the rate-limit headers, retried
with tenacity (429 after the announced window, 5xx and dropped connections with jittered exponential
backoff), SDK exceptions translated into `connectors.errors`, and requests counted.

Every request carries a timeout (`timeout`, seconds for the whole request): the SDK sends none of its
own, so a connection HubSpot stops answering would otherwise hold the sync forever. A timed-out call
is a transient failure, retried like a 5xx.

The Settings API (the account's currencies) has no typed API in the SDK, and its generic `api_request`
sends no timeout and prints its errors: `get_json` is a plain `requests` GET with the client's token that
takes the same path as every SDK call.

Retrying is safe for every call here: reads are idempotent, and the only writes are batch upserts keyed
by a unique property, association PUTs and label archives, which all converge to the same state however
often they are repeated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import requests
import structlog
from hubspot import HubSpot
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connectors.errors import RateLimited, TransientError
from connectors.hubspot.errors import NETWORK_ERRORS, SDK_ERRORS, HttpError, translate
from connectors.hubspot.throttle import RateBudget

log = structlog.get_logger(__name__)
T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0  # seconds per request, connecting and reading the whole answer included
DEFAULT_HOST = "https://api.hubapi.com"

OBJECT_APIS = {
    "companies": ("companies",),
    "contacts": ("contacts",),
    "deals": ("deals",),
    "tickets": ("tickets",),
    "notes": ("objects", "notes"),
    "tasks": ("objects", "tasks"),
}


@dataclass
class RetryPolicy:
    attempts: int = 6
    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 0.5


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    throttled_seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)


class HubSpotCalls:
    def __init__(
        self,
        client: HubSpot,
        *,
        retry: RetryPolicy | None = None,
        budget: RateBudget | None = None,
        search_budget: RateBudget | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.budget = budget or RateBudget(190, 10.0)
        self.search_budget = search_budget or RateBudget(
            5,
            1.0,
            reserve=1,
            max_header="X-HubSpot-RateLimit-Secondly",
            remaining_header="X-HubSpot-RateLimit-Secondly-Remaining",
            interval_header=None,
        )
        self.stats = CallStats()
        self._host = str(client.config.get("host") or DEFAULT_HOST).rstrip("/")
        self._client = client
        # The SDK builds a new ApiClient on every attribute access: build each API object once.
        self._basic: dict[str, Any] = {}
        self._batch: dict[str, Any] = {}
        self._search: dict[str, Any] = {}
        for object_type, path in OBJECT_APIS.items():
            node: Any = client.crm
            for part in path:
                node = getattr(node, part)
            self._basic[object_type] = node.basic_api
            self._batch[object_type] = node.batch_api
            self._search[object_type] = node.search_api
        self._assoc_batch = client.crm.associations.v4.batch_api
        self._assoc_basic = client.crm.associations.v4.basic_api
        self._assoc_labels = client.crm.associations.v4.schema.definitions_api
        self._properties = client.crm.properties.core_api

    # -- the one path every call takes -----------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited):
            return float(exc.retry_after)
        p = self.retry
        base: float = min(p.maximum, p.initial * 2.0 ** (state.attempt_number - 1))
        return base * (1 - p.jitter) + base * p.jitter * random.random()

    def call(self, kind: str, fn: Callable[..., Any], *args: Any, search: bool = False, **kwargs: Any) -> Any:
        """Run `fn_with_http_info(*args, **kwargs)` under the budget and retry policy; return its data."""
        budget = self.search_budget if search else self.budget

        def attempt() -> Any:
            budget.acquire()
            self.stats.requests += 1
            self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
            try:
                data, _status, headers = fn(*args, _request_timeout=self.timeout, **kwargs)
            except SDK_ERRORS + NETWORK_ERRORS as exc:
                err = translate(exc, timeout=self.timeout)
                budget.observe(getattr(exc, "headers", None))
                if isinstance(err, RateLimited):
                    budget.back_off(err.retry_after)
                log.info("hubspot.call_failed", kind=kind, error=str(err))
                raise err from exc
            budget.observe(headers)
            return data

        retrying = Retrying(
            retry=retry_if_exception_type((RateLimited, TransientError)),
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=lambda _: self._count_retry(),
        )
        result = retrying(attempt)
        self.stats.throttled_seconds = self.budget.waited + self.search_budget.waited
        return result

    def _count_retry(self) -> None:
        self.stats.retries += 1

    # -- plain requests (APIs the SDK has no typed client for) ---------------------------------------

    def get_json(self, kind: str, path: str) -> Any:
        """GET `path` (e.g. "/settings/v3/currencies/company-currency") and return its JSON answer;
        numbers with a fraction come back as `Decimal`, so exchange rates keep the digits HubSpot sent."""
        return self.call(kind, self._get, path)

    def _get(self, path: str, *, _request_timeout: float) -> tuple[Any, int, dict[str, str]]:
        """One GET in the SDK's `*_with_http_info` shape: (data, status, headers), or the exceptions
        `translate` knows (an error answer as `HttpError`, a network failure as the built-in one)."""
        try:
            response = requests.get(
                f"{self._host}{path}",
                headers={
                    "Authorization": f"Bearer {self._client.access_token}",
                    "Accept": "application/json",
                },
                timeout=_request_timeout,
            )
            headers = dict(response.headers)
            if response.status_code >= 400:
                raise HttpError(response.status_code, response.reason or "", response.text, headers)
            return response.json(parse_float=Decimal), response.status_code, headers
        except requests.Timeout as exc:
            raise TimeoutError(str(exc)) from exc
        except (requests.RequestException, ValueError) as exc:  # a dropped connection, a cut-off answer
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc

    # -- objects ---------------------------------------------------------------------------------

    def list_page(
        self,
        object_type: str,
        *,
        after: str | None,
        properties: Sequence[str],
        associations: Sequence[str] = (),
        archived: bool = False,
        limit: int = 100,
    ) -> Any:
        kwargs: dict[str, Any] = {"limit": limit, "properties": list(properties), "archived": archived}
        if after:
            kwargs["after"] = after
        if associations:
            kwargs["associations"] = list(associations)
        return self.call("list", self._basic[object_type].get_page_with_http_info, **kwargs)

    def search(self, object_type: str, body: dict[str, Any]) -> Any:
        return self.call(
            "search",
            self._search[object_type].do_search_with_http_info,
            public_object_search_request=body,
            search=True,
        )

    def total(self, object_type: str) -> int:
        """How many live records of a type exist (one search request; used for progress bars)."""
        return int(self.search(object_type, {"limit": 1, "properties": ["hs_object_id"]}).total)

    def upsert(self, object_type: str, inputs: list[dict[str, Any]]) -> Any:
        return self.call(
            "upsert",
            self._batch[object_type].upsert_with_http_info,
            batch_input_simple_public_object_batch_input_upsert={"inputs": inputs},
        )

    def get_by_property(
        self, object_type: str, value: str, id_property: str, properties: Sequence[str]
    ) -> Any:
        return self.call(
            "get",
            self._basic[object_type].get_by_id_with_http_info,
            value,
            id_property=id_property,
            properties=list(properties),
        )

    def properties(self, object_type: str) -> Any:
        return self.call("properties", self._properties.get_all_with_http_info, object_type)

    # -- associations v4 -------------------------------------------------------------------------

    def read_associations(self, from_type: str, to_type: str, inputs: list[dict[str, str]]) -> Any:
        return self.call(
            "associations",
            self._assoc_batch.get_page_with_http_info,
            from_type,
            to_type,
            batch_input_public_fetch_associations_batch_request={"inputs": inputs},
        )

    def association_labels(self, from_type: str, to_type: str) -> Any:
        return self.call("labels", self._assoc_labels.get_all_with_http_info, from_type, to_type)

    def associate(
        self, from_type: str, from_id: str, to_type: str, to_id: str, specs: list[dict[str, Any]]
    ) -> Any:
        return self.call(
            "associate",
            self._assoc_basic.create_with_http_info,
            from_type,
            from_id,
            to_type,
            to_id,
            association_spec=specs,
        )

    def archive_labels(self, from_type: str, to_type: str, inputs: list[dict[str, Any]]) -> None:
        self.call(
            "archive_labels",
            self._assoc_batch.archive_labels_with_http_info,
            from_type,
            to_type,
            batch_input_public_association_multi_post={"inputs": inputs},
        )
