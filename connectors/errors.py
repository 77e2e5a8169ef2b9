"""The connectors' own error tree. Vendor SDK exceptions are translated into these at the edge.

ConnectorError                 anything a connector raises on purpose
├── ConfigurationError         missing/invalid credentials or URLs: fix settings, don't retry
├── AuthError                  401 that survived one re-authentication: stop, tell a person
├── RateLimited                429 / REQUEST_LIMIT_EXCEEDED: stop or wait `retry_after` seconds
├── TransientError             5xx, timeouts, dropped connections: retry with backoff
├── RecordRejected             the CRM refused one record (400 INVALID_FIELD...): park, don't retry
└── MappingError               a vendor record that cannot be mapped (unknown picklist value...)
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class. `source` names the CRM ("salesforce" | "hubspot")."""

    def __init__(self, message: str, *, source: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.code = code

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        suffix = f" [{self.code}]" if self.code else ""
        return f"{prefix}{self.args[0]}{suffix}"


class ConfigurationError(ConnectorError):
    pass


class AuthError(ConnectorError):
    pass


class RateLimited(ConnectorError):
    def __init__(
        self, message: str, *, source: str = "", code: str | None = None, retry_after: float = 0
    ) -> None:
        super().__init__(message, source=source, code=code)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    pass


class RecordRejected(ConnectorError):
    pass


class MappingError(ConnectorError):
    """One vendor record could not be mapped; `record_id` and `field` say which and where."""

    def __init__(self, message: str, *, source: str = "", record_id: str = "", field: str = "") -> None:
        super().__init__(message, source=source, code="MAPPING")
        self.record_id = record_id
        self.field = field
