"""Row formats and row-by-row validation with line numbers, for CSV and NDJSON.

Every row names its account in one of three ways, tried in this order:
  1. `account_id`: our own id (the UUID in the store);
  2. `source` + `crm_id`: the CRM ("salesforce" | "hubspot") and the account's id there;
  3. `domain`: the account's web domain (case-insensitive; must match exactly one account).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

KINDS = ("usage", "nps", "contracts")


class AccountRef(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: str | None = None
    source: Literal["salesforce", "hubspot"] | None = None
    crm_id: str | None = Field(default=None, max_length=64)
    domain: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _one_reference(self) -> AccountRef:
        if not (self.account_id or (self.source and self.crm_id) or self.domain):
            raise ValueError("name the account by account_id, by source + crm_id, or by domain")
        return self

    def describe(self) -> str:
        if self.account_id:
            return f"account_id={self.account_id}"
        if self.source and self.crm_id:
            return f"{self.source} crm_id={self.crm_id}"
        return f"domain={self.domain}"


class UsageRow(AccountRef):
    day: date
    active_users: int | None = Field(default=None, ge=0)
    weekly_active_users: int | None = Field(default=None, ge=0)
    key_feature_events: int = Field(default=0, ge=0)
    licensed_seats: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _some_users(self) -> UsageRow:
        if self.active_users is None and self.weekly_active_users is None:
            raise ValueError("give active_users or weekly_active_users")
        return self


class NpsRow(AccountRef):
    external_id: str = Field(min_length=1, max_length=64)
    score: int = Field(ge=0, le=10)
    responded_at: AwareDatetime
    comment: str | None = None
    contact_email: str | None = None


class ContractRow(AccountRef):
    external_id: str = Field(min_length=1, max_length=64)
    start_date: date
    end_date: date
    arr: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    status: Literal["active", "ended", "cancelled"] = "active"

    @model_validator(mode="after")
    def _dates(self) -> ContractRow:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


MODELS: dict[str, type[UsageRow] | type[NpsRow] | type[ContractRow]] = {
    "usage": UsageRow,
    "nps": NpsRow,
    "contracts": ContractRow,
}


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Parsed:
    rows: list[tuple[int, Any]]
    errors: list[RowError]


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def detect_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv") or "csv" in lowered:
        return "csv"
    if lowered.endswith((".ndjson", ".jsonl", ".json")) or "json" in lowered:
        return "ndjson"
    raise ValueError(f"cannot tell the format of {name!r}: use .csv or .ndjson (or Content-Type text/csv)")


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its values) for each non-blank CSV record, the header first.

    A quoted value may span lines, and the reader's line_num is where a record ends: an error (and the
    "duplicate of line N" it points to) must name the line where the record begins."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for record in reader:
        if record:
            yield start, record
        start = reader.line_num + 1


def _ndjson_lines(text: str) -> list[str]:
    """Lines end at "\n" (or "\r\n") only. str.splitlines() also breaks at U+2028, U+2029, U+0085 and
    a few control characters; the first three may stand raw inside a JSON string, so a comment holding one
    would be cut in two and every later line number would be off."""
    return [raw.removesuffix("\r") for raw in text.split("\n")]


def parse(kind: str, text: str, fmt: str) -> Parsed:
    """Validate every row; good rows come back with their line numbers, bad ones as RowErrors."""
    if kind not in MODELS:
        raise ValueError(f"unknown signal kind {kind!r}: use one of {', '.join(KINDS)}")
    model = MODELS[kind]
    parsed = Parsed([], [])
    if fmt == "csv":
        records = _csv_records(text)
        header_line, header = next(records, (1, []))
        unknown = [c for c in header if c not in model.model_fields]
        if unknown:
            parsed.errors.append(
                RowError(
                    header_line,
                    f"unknown column(s) {', '.join(unknown)}; known: {', '.join(model.model_fields)}",
                )
            )
            return parsed
        for line, record in records:
            if len(record) > len(header):
                parsed.errors.append(RowError(line, "more values than columns"))
                continue
            values = {k: v for k, v in zip(header, record, strict=False) if v != ""}
            try:
                parsed.rows.append((line, model.model_validate(values)))
            except ValidationError as exc:
                parsed.errors.append(RowError(line, _explain(exc)))
        return parsed
    for line, raw in enumerate(_ndjson_lines(text), 1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            parsed.errors.append(RowError(line, f"not JSON: {exc.msg}"))
            continue
        if not isinstance(value, dict):
            parsed.errors.append(RowError(line, "each line must be a JSON object"))
            continue
        try:
            parsed.rows.append((line, model.model_validate(value)))
        except ValidationError as exc:
            parsed.errors.append(RowError(line, _explain(exc)))
    return parsed
