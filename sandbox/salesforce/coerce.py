"""Field values as a Salesforce org validates them on write, and the vendor's error for one that fails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sandbox.salesforce import soql
from sandbox.salesforce.ids import to_18
from sandbox.salesforce.schema import FieldDef

Getter = Callable[[str, str], Any]


class SfError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def body(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            entry["fields"] = self.fields
        return [entry]


def coerce(fdef: FieldDef, value: Any, get: Getter) -> Any:
    """`value` as the sandbox stores field `fdef`, or the `SfError` Salesforce answers with (`get`
    finds a live record by sObject and id, for reference fields)."""
    if value is None:
        if fdef.required:
            raise SfError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{fdef.name}]", [fdef.name]
            )
        return None
    bad = SfError(
        400,
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        f"{fdef.name}: value not of required type: {value!r}",
        [fdef.name],
    )
    try:
        if fdef.type == "date":
            return date.fromisoformat(str(value)).isoformat()
        if fdef.type == "datetime":
            return soql.sf_datetime(soql.parse_sf_datetime(str(value)))
        if fdef.type in ("currency", "double"):
            if isinstance(value, bool):
                raise bad
            return float(value)
    except ValueError:
        raise bad from None
    if fdef.type == "boolean":
        if not isinstance(value, bool):
            raise bad
        return value
    if fdef.type == "reference":
        rid = to_18(str(value))
        if rid is None:
            raise SfError(
                400, "MALFORMED_ID", f"{fdef.name}: id value of incorrect type: {value}", [fdef.name]
            )
        if fdef.reference_to and get(fdef.reference_to, rid) is None:
            raise SfError(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"invalid cross reference id: {value} ({fdef.name})",
                [fdef.name],
            )
        return rid
    if not isinstance(value, str):
        raise bad
    return value
