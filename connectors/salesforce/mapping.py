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


def field_values(records: list[dict[str, Any]], path: str) -> list[Any]:
    """`field_value` of every record (a plain field name is read without splitting the path)."""
    if "." not in path:
        return [r.get(path) for r in records]
    return [field_value(r, path) for r in records]


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
    """Maps records of one sObject to rows of one store table.

    A page is mapped column by column: each field's values for the whole page go through one list
    comprehension (the fast path). Only a column where something is off (an unknown picklist value, a
    value that does not convert, an over-long string, an empty required field) is redone value by value
    to report exactly which record and value, with the same outcome as mapping records one by one.
    """

    def __init__(self, mapping: EntityMapping) -> None:
        self.mapping = mapping
        model = ENTITIES[mapping.entity]
        columns = model.__table__.columns
        self._plan: list[_Column] = []
        # (store column, Salesforce field, "account" | "contact") for columns that reference a parent row
        self.parents: list[tuple[str, str, str]] = [
            (spec.column, spec.sf_field, spec.transform.removesuffix("_key"))
            for spec in mapping.fields
            if spec.transform in ("account_key", "contact_key")
        ]
        for spec in mapping.fields:
            column = columns[spec.column]
            self._plan.append(
                _Column(
                    spec,
                    _converter(column),
                    TRANSFORMS[spec.transform] if spec.transform else None,
                    required=not column.nullable and column.default is None and column.server_default is None,
                    length=column.type.length if isinstance(column.type, String) else None,
                    picklist=mapping.picklists.get(spec.column),
                    sobject=mapping.sobject,
                )
            )

    def soql_fields(self) -> list[str]:
        wanted = ["Id", "SystemModstamp", "IsDeleted"]
        for name in [f.sf_field for f in self.mapping.fields] + list(self.mapping.extra.values()):
            if name not in wanted:
                wanted.append(name)
        return wanted

    def map(self, record: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Rejection]]:
        """The row for `record` (None when it cannot be written) and what was rejected on the way."""
        rows, _kept, rejected = self.map_many([record])
        return (rows[0] if rows else None), rejected

    def map_many(
        self, records: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[int], list[Rejection]]:
        """(rows, the index in `records` of each row, rejections) for a page of records.

        A record whose required column cannot be filled gets no row; its rejections up to that column
        are reported (as mapping it alone would)."""
        ids = [str(r.get("Id")) for r in records]
        values: list[list[Any]] = []
        problems: list[tuple[int, int, Rejection]] = []  # (record index, column position, rejection)
        dropped: dict[int, int] = {}  # record index -> column position that dropped it
        for position, column in enumerate(self._plan):
            raw = column.read(records)
            fast = column.convert_all(raw)
            if fast is None:
                fast = column.convert_each(raw, ids, position, problems, dropped)
            values.append(fast)
        rejected = [
            rejection
            for index, position, rejection in sorted(problems, key=lambda p: (p[0], p[1]))
            if position <= dropped.get(index, position)
        ]
        names = [c.spec.column for c in self._plan]
        kept = [i for i in range(len(records)) if i not in dropped] if dropped else list(range(len(records)))
        by_record = list(zip(*values, strict=True)) if values else [() for _ in records]
        rows = [dict(zip(names, by_record[i], strict=True)) for i in kept]
        if self.mapping.extra:
            extra = list(self.mapping.extra.items())
            for row, i in zip(rows, kept, strict=True):
                row["extra"] = {key: field_value(records[i], path) for key, path in extra}
        return rows, kept, rejected


_UNKNOWN = object()


def _is_key(value: Any, picklist: dict[str, str | None]) -> bool:
    try:
        return value in picklist
    except TypeError:  # unhashable (a malformed record's object or list): not a picklist value
        return False


@dataclass(frozen=True)
class _Column:
    spec: FieldSpec
    convert: Callable[[Any], Any]
    transform: Callable[[Any], Any] | None
    required: bool
    length: int | None
    picklist: dict[str, str | None] | None
    sobject: str

    def read(self, records: list[dict[str, Any]]) -> list[Any]:
        return field_values(records, self.spec.sf_field)

    def _value(self, raw: Any) -> Any:
        """The store value for one raw value; raises ValueError/TypeError when it is unusable."""
        if self.transform is not None:
            raw = self.transform(raw)
            if raw is None:
                return None
        return self.convert(raw)

    def convert_all(self, raw: list[Any]) -> list[Any] | None:
        """The whole column converted, or None when any value needs a closer look."""
        if self.picklist is not None:
            picklist = self.picklist
            try:
                raw = [picklist.get(v, _UNKNOWN) if v is not None else None for v in raw]
            except TypeError:  # an unhashable value (a malformed record): reported value by value
                return None
            if any(v is _UNKNOWN for v in raw):
                return None
        convert = self.convert if self.transform is None else self._value
        try:
            out = [convert(v) if v is not None else None for v in raw]
        except (ValueError, TypeError):
            return None
        if self.required and None in out:
            return None
        if self.length is not None and max(map(len, filter(None, out)), default=0) > self.length:
            return None  # String columns: every value is a str or None
        return out

    def convert_each(
        self,
        raw: list[Any],
        ids: list[str],
        position: int,
        problems: list[tuple[int, int, Rejection]],
        dropped: dict[int, int],
    ) -> list[Any]:
        """The column value by value, reporting each problem; drops records lacking a required value."""
        spec, sobject = self.spec, self.sobject
        out: list[Any] = []
        for index, original in enumerate(raw):
            value, failed = None, False
            if original is not None:
                try:
                    mapped = original
                    if self.picklist is not None:
                        if not _is_key(original, self.picklist):
                            raise _Unusable(f"unknown picklist value {original!r}")
                        mapped = self.picklist[original]
                    if mapped is not None:
                        value = self._value(mapped)
                except (ValueError, TypeError) as exc:
                    problems.append(
                        (
                            index,
                            position,
                            Rejection(ids[index], f"{sobject}.{spec.sf_field}: {exc}", spec.sf_field),
                        )
                    )
                    value, failed = None, True
                if isinstance(value, str) and self.length is not None and len(value) > self.length:
                    problems.append(
                        (
                            index,
                            position,
                            Rejection(
                                ids[index],
                                f"{spec.sf_field}: truncated from {len(value)} to {self.length} chars",
                                spec.sf_field,
                            ),
                        )
                    )
                    value = value[: self.length]
            if value is None and self.required and index not in dropped:
                untracked = not failed and self.picklist is not None and _is_key(original, self.picklist)
                if not untracked and not failed:
                    problems.append(
                        (
                            index,
                            position,
                            Rejection(ids[index], f"{spec.sf_field}: required but empty", spec.sf_field),
                        )
                    )
                dropped[index] = position
            out.append(value)
        return out
