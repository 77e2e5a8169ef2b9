"""YAML field mapping (`mapping.yml` by default): which Salesforce field fills which store column, how
picklist values translate, and the conversions each store column type needs.

`RecordMapper.map(record)` turns one Salesforce record into one store row plus `Rejection`s. A value
that cannot be used (an unknown picklist value, a malformed date, an over-long string) is reported as a
rejection naming the record, the field and the value; the rest of the record is still written (the field
left empty, or the string truncated). A record whose required column cannot be filled is not written at
all and is reported. Nothing is dropped silently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Boolean, Date, Numeric, String

from connectors.errors import ConfigurationError
from connectors.sync import Rejection
from store import keys
from store.base import Base
from store.models import Account, Contact, Deal, StakeholderRole, Ticket
from store.types import UTCDateTime

SOURCE = "salesforce"
ENTITIES: dict[str, type[Base]] = {
    "account": Account,
    "contact": Contact,
    "deal": Deal,
    "stakeholder_role": StakeholderRole,
    "ticket": Ticket,
}
_DOMAIN = re.compile(r"^(?:[a-z]+://)?(?:www\.)?([^/:?#]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)
def _account_key(crm_id: Any) -> str:
    """Parent keys repeat (every contact of an account names its AccountId): uuid5 is worth caching."""
    return keys.account_key(SOURCE, str(crm_id))


@functools.lru_cache(maxsize=65536)
def _contact_key(crm_id: Any) -> str:
    return keys.contact_key(SOURCE, str(crm_id))


TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "domain": lambda v: m.group(1).lower() if (m := _DOMAIN.match(str(v).strip())) else None,
    "account_key": _account_key,
    "contact_key": _contact_key,
}


class _Unusable(ValueError):
    pass


@dataclass(frozen=True)
class FieldSpec:
    column: str
    sf_field: str
    transform: str | None = None


@dataclass(frozen=True)
class EntityMapping:
    entity: str
    sobject: str
    fields: tuple[FieldSpec, ...]
    extra: dict[str, str] = field(default_factory=dict)
    picklists: dict[str, dict[str, str | None]] = field(default_factory=dict)


def load_mapping(path: Path | None = None) -> dict[str, EntityMapping]:
    """Read and check the mapping; a mistake is a ConfigurationError naming the entry."""
    text = (
        path.read_text()
        if path is not None
        else resources.files("connectors.salesforce").joinpath("mapping.yml").read_text()
    )
    where = str(path or "mapping.yml")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{where}: not valid YAML ({exc})", source=SOURCE) from None
    out: dict[str, EntityMapping] = {}
    for entity, model in ENTITIES.items():
        spec = raw.get(entity)
        if not isinstance(spec, dict) or not spec.get("sobject"):
            raise ConfigurationError(f"{where}: `{entity}` needs an sobject and fields", source=SOURCE)
        columns = model.__table__.columns
        fields = []
        for column, value in (spec.get("fields") or {}).items():
            if column not in columns:
                raise ConfigurationError(f"{where}: {entity}.{column} is not a store column", source=SOURCE)
            sf_field, transform = (
                (value, None) if isinstance(value, str) else (value.get("field"), value.get("transform"))
            )
            if not sf_field or (transform is not None and transform not in TRANSFORMS):
                raise ConfigurationError(
                    f"{where}: {entity}.{column} has a bad field/transform", source=SOURCE
                )
            fields.append(FieldSpec(column, sf_field, transform))
        picklists = spec.get("picklists") or {}
        for column in picklists:
            if column not in (f.column for f in fields):
                raise ConfigurationError(f"{where}: picklist {entity}.{column} maps no field", source=SOURCE)
        out[entity] = EntityMapping(
            entity, spec["sobject"], tuple(fields), dict(spec.get("extra") or {}), picklists
        )
    return out


def field_value(record: dict[str, Any], path: str) -> Any:
    """A field of a Salesforce record, or of its parent for a relationship path (`Owner.Email`)."""
    if "." not in path:
        return record.get(path)
    rel, name = path.split(".", 1)
    parent = record.get(rel)
    return parent.get(name) if isinstance(parent, dict) else None


def _converter(column: Any) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return lambda v: datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    if isinstance(kind, Date):
        return lambda v: datetime.fromisoformat(v).date() if len(str(v)) > 10 else date.fromisoformat(str(v))
    if isinstance(kind, Boolean):

        def boolean(v: Any) -> bool:
            if not isinstance(v, bool):
                raise _Unusable(f"not a boolean: {v!r}")
            return v

        return boolean
    if isinstance(kind, Numeric):

        def number(v: Any) -> Decimal:
            try:
                return Decimal(str(v))
            except InvalidOperation:
                raise _Unusable(f"not a number: {v!r}") from None

        return number
    if isinstance(kind, String):
        return str
    return lambda v: v


class RecordMapper:
    """Maps records of one sObject to rows of one store table."""

    def __init__(self, mapping: EntityMapping) -> None:
        self.mapping = mapping
        model = ENTITIES[mapping.entity]
        columns = model.__table__.columns
        self._plan = []
        # (store column, Salesforce field, "account" | "contact") for columns that reference a parent row
        self.parents: list[tuple[str, str, str]] = [
            (spec.column, spec.sf_field, spec.transform.removesuffix("_key"))
            for spec in mapping.fields
            if spec.transform in ("account_key", "contact_key")
        ]
        for spec in mapping.fields:
            column = columns[spec.column]
            required = not column.nullable and column.default is None and column.server_default is None
            length = column.type.length if isinstance(column.type, String) else None
            transform = TRANSFORMS[spec.transform] if spec.transform else None
            self._plan.append(
                (spec, _converter(column), transform, required, length, mapping.picklists.get(spec.column))
            )

    def soql_fields(self) -> list[str]:
        wanted = ["Id", "SystemModstamp", "IsDeleted"]
        for name in [f.sf_field for f in self.mapping.fields] + list(self.mapping.extra.values()):
            if name not in wanted:
                wanted.append(name)
        return wanted

    def map(self, record: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Rejection]]:
        """The row for `record` (None when it cannot be written) and what was rejected on the way."""
        row: dict[str, Any] = {}
        rejected: list[Rejection] = []
        rid = str(record.get("Id"))
        for spec, convert, transform, required, length, picklist in self._plan:
            raw = field_value(record, spec.sf_field)
            value = None
            if raw is not None:
                try:
                    if picklist is not None:
                        if raw not in picklist:
                            raise _Unusable(f"unknown picklist value {raw!r}")
                        raw = picklist[raw]
                    if raw is not None:
                        value = convert(transform(raw) if transform else raw)
                except (ValueError, TypeError) as exc:
                    rejected.append(
                        Rejection(rid, f"{self.mapping.sobject}.{spec.sf_field}: {exc}", spec.sf_field)
                    )
                    value = None
                if isinstance(value, str) and length is not None and len(value) > length:
                    rejected.append(
                        Rejection(
                            rid,
                            f"{spec.sf_field}: truncated from {len(value)} to {length} chars",
                            spec.sf_field,
                        )
                    )
                    value = value[:length]
            if value is None and required:
                if raw is None and picklist is not None and field_value(record, spec.sf_field) in picklist:
                    return None, rejected  # a known value we deliberately do not track
                if not rejected or rejected[-1].field != spec.sf_field:
                    rejected.append(Rejection(rid, f"{spec.sf_field}: required but empty", spec.sf_field))
                return None, rejected
            row[spec.column] = value
        if self.mapping.extra:
            row["extra"] = {key: field_value(record, path) for key, path in self.mapping.extra.items()}
        return row, rejected
