"""Translating hubspot-api-client and urllib3 exceptions into `connectors.errors`.

Every SDK package (companies, contacts, associations v4, ...) has its own `ApiException` class; they
share only the attributes `status`, `reason`, `body` and `headers`, which is what `translate` reads.
`HttpError` carries the same four for the plain requests the SDK has no typed API for.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3.exceptions
from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiException
from hubspot.crm.associations.v4.schema.exceptions import ApiException as LabelsApiException
from hubspot.crm.companies.exceptions import ApiException as CompaniesApiException
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.deals.exceptions import ApiException as DealsApiException
from hubspot.crm.objects.notes.exceptions import ApiException as NotesApiException
from hubspot.crm.objects.tasks.exceptions import ApiException as TasksApiException
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException
from hubspot.crm.tickets.exceptions import ApiException as TicketsApiException

from connectors.errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    RecordRejected,
    TransientError,
)

SOURCE = "hubspot"


class HttpError(Exception):
    """An error answer to a plain request, shaped like the SDK's `ApiException` for `translate`."""

    def __init__(self, status: int, reason: str, body: str, headers: dict[str, str]) -> None:
        super().__init__(f"({status}) {reason}")
        self.status, self.reason, self.body, self.headers = status, reason, body, headers


SDK_ERRORS: tuple[type[Exception], ...] = (
    HttpError,
    CompaniesApiException,
    ContactsApiException,
    DealsApiException,
    TicketsApiException,
    NotesApiException,
    TasksApiException,
    AssociationsApiException,
    LabelsApiException,
    PropertiesApiException,
)
NETWORK_ERRORS: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)


def _body(exc: Any) -> dict[str, Any]:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _timed_out(exc: Exception) -> bool:
    """Whether the request got no answer in time (urllib3 wraps the timeout when retries are off)."""
    reason = getattr(exc, "reason", None) if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    return isinstance(reason, urllib3.exceptions.TimeoutError | TimeoutError)


def translate(exc: Exception, *, timeout: float | None = None) -> ConnectorError:
    """The connector error for an SDK or network exception (`timeout`: the seconds the call allowed)."""
    if isinstance(exc, NETWORK_ERRORS):
        if _timed_out(exc):
            allowed = f" within {timeout:g} s" if timeout is not None else " in time"
            return TransientError(f"HubSpot gave no answer{allowed}", source=SOURCE, code="TIMEOUT")
        return TransientError(f"connection problem: {type(exc).__name__}", source=SOURCE)
    status = int(getattr(exc, "status", 0) or 0)
    body = _body(exc)
    message = str(body.get("message") or getattr(exc, "reason", "") or "no message")
    category = str(body.get("category") or status)
    if status == 401:
        return AuthError(
            "HubSpot refused the access token (401). Check HUBSPOT_ACCESS_TOKEN: the private app's token "
            "may be revoked or belong to another portal",
            source=SOURCE,
            code=category,
        )
    if status == 403:
        return AuthError(
            f"the access token lacks a scope this call needs: {message}", source=SOURCE, code=category
        )
    if status == 429:
        headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
        policy = str(body.get("policyName") or "")
        interval_ms = headers.get("x-hubspot-ratelimit-interval-milliseconds", "")
        retry_after = (
            1.0 if policy == "SECONDLY" else int(interval_ms) / 1000 if interval_ms.isdigit() else 10.0
        )
        return RateLimited(message, source=SOURCE, code=policy or category, retry_after=retry_after)
    if status >= 500 or status in (0, 408):
        return TransientError(f"HubSpot answered {status}: {message}", source=SOURCE, code=category)
    return RecordRejected(f"HubSpot refused the request ({status}): {message}", source=SOURCE, code=category)
