"""Every Salesforce call the connector makes goes through `SalesforceApi`, which owns the vendor's
failure modes and turns them into `connectors.errors`:

    401 INVALID_SESSION_ID         re-authenticate once (a new client-credentials token, else a new
                                   username/password login) and repeat the call; a second 401, no way
                                   to re-authenticate, or a refused login -> AuthError
    403 REQUEST_LIMIT_EXCEEDED,    RateLimited (the sync stops as partial and resumes next run); also
    429                            raised *before* a call once `Sforce-Limit-Info` shows usage at the
                                   configured ceiling, to leave headroom for the org's other integrations
    403 (other)                    AuthError (the integration user lacks a permission)
    400 / 404                      RecordRejected carrying the vendor's errorCode, except
    400 UNABLE_TO_LOCK_ROW         another transaction held the record: TransientError (a moment later
                                   the same write succeeds)
    5xx, timeouts, dropped         TransientError, retried by tenacity with full-jitter exponential
    connections, truncated bodies  backoff up to `RetryPolicy.attempts`, then raised
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
import structlog
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from connectors.errors import AuthError, ConnectorError, RateLimited, RecordRejected, TransientError
from connectors.prefetch import prefetched
from connectors.salesforce.client import SalesforceConfig, connect, login_refused

log = structlog.get_logger(__name__)
T = TypeVar("T")
SOURCE = "salesforce"
RETRY_CODES = frozenset({"UNABLE_TO_LOCK_ROW"})  # refusals that pass: the same request succeeds later


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    wait_multiplier: float = 0.5  # seconds; full jitter over multiplier * 2^n
    wait_max: float = 30.0


class _SessionExpired(ConnectorError):
    pass


def _error_code(exc: SalesforceError) -> tuple[str, str]:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", "")), str(content[0].get("message", ""))
    return "", str(content)[:200]


def translate(exc: Exception) -> ConnectorError:
    """The connector error for a simple-salesforce or requests exception."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        # the SDK signing in again by itself (a password session that expired) and being refused:
        # the same credentials would be refused again, so no re-authentication
        return login_refused(exc)
    if isinstance(exc, SalesforceError):
        code, message = _error_code(exc)
        status = exc.status
        if status == 401:
            return _SessionExpired(message or "session expired", source=SOURCE, code=code or "401")
        if (status == 403 and code == "REQUEST_LIMIT_EXCEEDED") or status == 429:
            return RateLimited(message or "API request limit exceeded", source=SOURCE, code=code)
        if status == 403:
            return AuthError(message or "forbidden", source=SOURCE, code=code or "403")
        if code in RETRY_CODES:
            return TransientError(f"{code}: {message}"[:300], source=SOURCE, code=code)
        if status in (400, 404):
            return RecordRejected(message, source=SOURCE, code=code or str(status))
        return TransientError(f"HTTP {status}: {message}", source=SOURCE, code=code or str(status))
    if isinstance(exc, requests.RequestException | ValueError):
        # timeouts, refused/dropped connections, and bodies cut off mid-JSON
        return TransientError(f"{type(exc).__name__}: {exc}"[:300], source=SOURCE, code="NETWORK")
    raise TypeError(f"not a vendor error: {exc!r}")


@dataclass
class SalesforceApi:
    config: SalesforceConfig
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    usage_ceiling: float = 1.0  # stop before a call once api-usage >= ceiling * daily max
    requests_made: int = 0

    def __post_init__(self) -> None:
        self._sf: Salesforce | None = None

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self._sf = self._connect(fresh_token=False)
        return self._sf

    def _connect(self, *, fresh_token: bool) -> Salesforce:
        return connect(self.config, fresh_token=fresh_token)

    def _check_usage(self) -> None:
        usage = (self._sf.api_usage if self._sf else {}).get("api-usage")
        if usage is not None and self.usage_ceiling < 1.0 and usage.used >= usage.total * self.usage_ceiling:
            raise RateLimited(
                f"API usage {usage.used}/{usage.total} is at the configured ceiling", source=SOURCE
            )

    def call(self, fn: Callable[[Salesforce], T]) -> T:
        """Run `fn(sf)` with retries for transient failures and one re-authentication on 401."""
        reauthenticated = False
        while True:
            try:
                return self._with_retries(fn)
            except _SessionExpired as exc:
                if reauthenticated or not self._can_reauthenticate():
                    raise AuthError(
                        "Salesforce rejected the session"
                        + (" after re-authenticating" if reauthenticated else ""),
                        source=SOURCE,
                        code=exc.code,
                    ) from None
                log.info("salesforce.reauthenticate")
                self._sf = self._connect(fresh_token=True)
                reauthenticated = True

    def _can_reauthenticate(self) -> bool:
        c = self.config
        return bool((c.consumer_key and c.consumer_secret) or (c.username and c.password))

    def _with_retries(self, fn: Callable[[Salesforce], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.retry.attempts),
            wait=wait_random_exponential(multiplier=self.retry.wait_multiplier, max=self.retry.wait_max),
            reraise=True,
            before_sleep=lambda state: log.warning(
                "salesforce.retry",
                attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else "",
            ),
        )
        for attempt in retrying:
            with attempt:
                self._check_usage()
                self.requests_made += 1
                try:
                    return fn(self.sf)
                except (SalesforceError, requests.RequestException, ValueError) as exc:
                    raise translate(exc) from None
        raise AssertionError("unreachable")

    # -- the calls the connector makes -----------------------------------------------------------------
    def query_pages(self, soql: str, *, include_deleted: bool) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """(records, totalSize) per page of `soql`, following nextRecordsUrl; each page is one API call.
        The next page is requested while the caller works on this one (`connectors.prefetch`)."""
        return prefetched(self._pages(soql, include_deleted), depth=2, name="salesforce-query")

    def _pages(self, soql: str, include_deleted: bool) -> Iterator[tuple[list[dict[str, Any]], int]]:
        timeout = self.config.timeout
        result = self.call(lambda sf: sf.query(soql, include_deleted=include_deleted, timeout=timeout))
        while True:
            yield list(result["records"]), int(result["totalSize"])
            if result["done"]:
                return
            next_url: str = result["nextRecordsUrl"]
            result = self.call(
                lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True, timeout=timeout)  # type: ignore[misc]
            )

    def query(self, soql: str) -> list[dict[str, Any]]:
        return [r for page, _ in self.query_pages(soql, include_deleted=False) for r in page]

    def rest(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        timeout = self.config.timeout
        return self.call(lambda sf: sf.restful(path, method=method, timeout=timeout, **kwargs))
