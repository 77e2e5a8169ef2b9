"""The sandbox org's records: in memory for speed, written through to SQLite in `state_dir` so a
restart with the same directory keeps every record, id counter, session and usage figure.

All reads and writes go through `OrgState` under one lock. Writes validate like Salesforce does and raise
`SfError` with the vendor's error code; they maintain CreatedDate/LastModifiedDate/SystemModstamp from
the shared sandbox clock. Deleting a record keeps it with IsDeleted = true (the recycle bin, which
queryAll returns) and cascades from Account to its Contacts, Opportunities and Cases, and from Contacts
and Opportunities to their contact roles, as Salesforce does.

The org's currency settings (`currency`, `multi_currency`, `dated_rates`) are given at start-up, like
its limits: the read-only Organization record (and a multi-currency org's CurrencyType and
DatedConversionRate records, `sandbox.salesforce.org`) are built from them and never stored, and a
multi-currency org's schema (`org_schema`) gives Account and Opportunity a `CurrencyIsoCode`, which
defaults to the org's currency.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.httpbase import Clock
from sandbox.salesforce import soql
from sandbox.salesforce.coerce import SfError, coerce
from sandbox.salesforce.ids import make_id, to_18
from sandbox.salesforce.locks import RowLocks
from sandbox.salesforce.org import org_records
from sandbox.salesforce.schema import SObjectDef, org_schema

_CASCADE = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId")),
    "Contact": (("OpportunityContactRole", "ContactId"),),
    "Opportunity": (("OpportunityContactRole", "OpportunityId"),),
}


class OrgState:
    def __init__(
        self,
        state_dir: Path,
        clock: Clock,
        *,
        currency: str = "USD",
        multi_currency: bool = False,
        dated_rates: bool = False,
    ) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.lock = threading.RLock()
        self.row_locks = RowLocks()  # records another transaction holds (`sandbox.salesforce.locks`)
        self.currency = currency
        self.schema = org_schema(currency, multi_currency, dated_rates)
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.schema}
        self._external: dict[tuple[str, str], dict[str, str]] = {}
        self.meta: dict[str, Any] = {}
        self._db = sqlite3.connect(state_dir / "salesforce.sqlite3", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records"
            " (id TEXT PRIMARY KEY, sobject TEXT NOT NULL, data TEXT NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            self.meta[key] = json.loads(value)
        for sobj, data in self._db.execute("SELECT sobject, data FROM records"):
            record = json.loads(data)
            self.records[sobj][record["Id"]] = record
            self._index(sobj, record)
        self._dirty: dict[str, tuple[str, dict[str, Any]]] = {}
        self._depth = 0
        self._journal: dict[str, tuple[str, dict[str, Any] | None]] | None = None
        for sobj, obj in self.schema.items():  # records kept from before multi-currency was switched on
            if "CurrencyIsoCode" in obj.fields:
                for record in self.records[sobj].values():
                    record.setdefault("CurrencyIsoCode", currency)
        self.records.update(org_records(currency, multi_currency, dated_rates))

    def sobject(self, name: str) -> SObjectDef:
        for key, obj in self.schema.items():
            if key.lower() == name.lower():
                return obj
        raise SfError(404, "NOT_FOUND", f"The requested resource does not exist (sObject type '{name}')")

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @property
    def empty(self) -> bool:
        return not any(records for name, records in self.records.items() if not self.schema[name].read_only)

    # -- persistence -------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: everything changed inside is persisted in one SQLite transaction."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._flush()

    def _flush(self) -> None:
        if not self._dirty:
            return
        rows = [(rid, sobj, json.dumps(rec)) for rid, (sobj, rec) in self._dirty.items()]
        meta = [(k, json.dumps(v)) for k, v in self.meta.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO records (id, sobject, data) VALUES (?, ?, ?)", rows)
            self._db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta)
        self._dirty.clear()

    def save_meta(self, **values: Any) -> None:
        with self.lock:
            self.meta.update(values)
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in values.items()],
                )

    def _touch(self, sobj: str, record: dict[str, Any]) -> None:
        self._dirty[record["Id"]] = (sobj, record)
        if self._depth == 0:
            self._flush()

    @contextmanager
    def all_or_none(self) -> Iterator[None]:
        """Writes inside either all stay or, on any exception, are all undone (allOrNone=true)."""
        with self.lock, self.transaction():
            self._journal = {}
            try:
                yield
            except BaseException:
                for rid, (sobj, before) in self._journal.items():
                    current = self.records[sobj].pop(rid, None)
                    for (o, _f), index in self._external.items():
                        if o == sobj and current is not None:
                            for value in [v for v, i in index.items() if i == rid]:
                                del index[value]
                    self._dirty.pop(rid, None)
                    if before is not None:
                        self.records[sobj][rid] = before
                        self._index(sobj, before)
                        self._dirty[rid] = (sobj, before)
                raise
            finally:
                self._journal = None

    def _remember(self, sobj: str, rid: str, record: dict[str, Any] | None) -> None:
        if self._journal is not None and rid not in self._journal:
            self._journal[rid] = (sobj, dict(record) if record is not None else None)

    def _index(self, sobj: str, record: dict[str, Any]) -> None:
        for f in self.schema[sobj].fields.values():
            if f.external_id and record.get(f.name) and not record["IsDeleted"]:
                self._external.setdefault((sobj, f.name), {})[record[f.name]] = record["Id"]

    # -- ids and reads -----------------------------------------------------------------------------
    def new_id(self, sobj: str) -> str:
        counters = self.meta.setdefault("counters", {})
        counters[sobj] = counters.get(sobj, 0) + 1
        return make_id(self.schema[sobj].key_prefix, counters[sobj])

    def get(self, sobj: str, record_id: str, include_deleted: bool = False) -> dict[str, Any] | None:
        rid = to_18(record_id)
        record = self.records[sobj].get(rid) if rid else None
        if record is None or (record["IsDeleted"] and not include_deleted):
            return None
        return record

    def find_external(self, sobj: str, field: str, value: str) -> dict[str, Any] | None:
        rid = self._external.get((sobj, field), {}).get(value)
        return self.get(sobj, rid) if rid else None

    def resolve(self, obj: SObjectDef, path: str) -> tuple[str, ...]:
        """Canonical field path (`Owner.Email`), checked against the schema; INVALID_FIELD otherwise."""
        parts = path.split(".")
        if len(parts) == 1:
            for name in obj.fields:
                if name.lower() == path.lower():
                    return (name,)
        elif len(parts) == 2:
            for rel, ref in obj.relationships().items():
                if rel.lower() == parts[0].lower() and ref.reference_to:
                    (target,) = self.resolve(self.schema[ref.reference_to], parts[1])
                    return (ref.name, rel, target)
        raise SfError(400, "INVALID_FIELD", f"No such column '{path}' on entity '{obj.name}'")

    def getter(self, obj: SObjectDef) -> soql.Getter:
        cache: dict[str, tuple[str, ...]] = {}

        def get(record: dict[str, Any], path: str) -> Any:
            resolved = cache.get(path) or cache.setdefault(path, self.resolve(obj, path))
            if len(resolved) == 1:
                return record.get(resolved[0])
            ref_id = record.get(resolved[0])
            target = obj.fields[resolved[0]].reference_to or ""
            parent = self.records[target].get(ref_id) if ref_id else None
            return parent.get(resolved[2]) if parent else None

        return get

    def select(self, query: soql.Query, include_deleted: bool) -> list[dict[str, Any]]:
        obj = self.sobject(query.sobject)
        for path in (*query.fields, *query.where_fields(), *(k.field for k in query.order)):
            self.resolve(obj, path)
        get = self.getter(obj)
        match = soql.compile_where(query.where, get)
        with self.lock:
            rows = [
                r
                for r in self.records[obj.name].values()
                if (include_deleted or not r["IsDeleted"]) and match(r)
            ]
        soql.order_records(rows, query.order, get)
        return rows[: query.limit] if query.limit is not None else rows

    # -- writes ------------------------------------------------------------------------------------
    def _apply(self, obj: SObjectDef, record: dict[str, Any], data: dict[str, Any]) -> None:
        for key, value in data.items():
            if key == "attributes":
                continue
            fdef = next((f for n, f in obj.fields.items() if n.lower() == key.lower()), None)
            if fdef is None:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}", [key]
                )
            if not fdef.writable:
                raise SfError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {fdef.name}.",
                    [fdef.name],
                )
            record[fdef.name] = coerce(fdef, value, self.get)
        if obj.name == "Opportunity":
            stage = record.get("StageName") or ""
            record["IsClosed"] = stage.startswith("Closed")
            record["IsWon"] = stage == "Closed Won"

    def _writable(self, sobj: str, verb: str) -> SObjectDef:
        obj = self.sobject(sobj)
        if obj.read_only:
            raise SfError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {verb}: {obj.name}")
        return obj

    def create(self, sobj: str, data: dict[str, Any], *, at: datetime | None = None) -> str:
        obj = self._writable(sobj, "inserted")
        with self.lock:
            self.row_locks.check(data.values())
            now = soql.sf_datetime(at or self.clock.now())
            record: dict[str, Any] = {f: None for f in obj.fields}
            record.update(IsDeleted=False, CreatedDate=now, LastModifiedDate=now, SystemModstamp=now)
            self._apply(obj, record, data)
            if "CurrencyIsoCode" in obj.fields and record["CurrencyIsoCode"] is None:
                record["CurrencyIsoCode"] = self.currency
            missing = [f.name for f in obj.fields.values() if f.required and record.get(f.name) is None]
            if missing:
                raise SfError(
                    400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing
                )
            self._check_unique(obj, record)
            record["Id"] = self.new_id(obj.name)
            self._remember(obj.name, record["Id"], None)
            self.records[obj.name][record["Id"]] = record
            self._index(obj.name, record)
            self._touch(obj.name, record)
            return str(record["Id"])

    def _check_unique(self, obj: SObjectDef, record: dict[str, Any]) -> None:
        for f in obj.fields.values():
            if f.external_id and record.get(f.name):
                other = self.find_external(obj.name, f.name, record[f.name])
                if other is not None and other["Id"] != record.get("Id"):
                    raise SfError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {f.name} duplicates value on record with id: {other['Id']}",
                        [f.name],
                    )

    def update(self, sobj: str, record_id: str, data: dict[str, Any]) -> None:
        obj = self._writable(sobj, "updated")
        with self.lock:
            record = self._existing(obj, record_id)
            self.row_locks.check([record["Id"], *data.values()])
            candidate = dict(record)
            self._apply(obj, candidate, data)
            self._check_unique(obj, candidate)
            now = soql.sf_datetime(self.clock.now())
            candidate.update(LastModifiedDate=now, SystemModstamp=now)
            self._remember(obj.name, record["Id"], record)
            record.update(candidate)
            self._index(obj.name, record)
            self._touch(obj.name, record)

    def _existing(self, obj: SObjectDef, record_id: str) -> dict[str, Any]:
        rid = to_18(record_id)
        if rid is None or not rid.startswith(obj.key_prefix):
            raise SfError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {record_id}",
            )
        record = self.records[obj.name].get(rid)
        if record is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if record["IsDeleted"]:
            raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return record

    def delete(self, sobj: str, record_id: str) -> None:
        obj = self._writable(sobj, "deleted")
        with self.lock, self.transaction():
            record = self._existing(obj, record_id)
            self.row_locks.check([record["Id"]])
            self._mark_deleted(obj.name, record, soql.sf_datetime(self.clock.now()))

    def empty_recycle_bin(self) -> int:
        """Remove every deleted record for good, as emptying the recycle bin does (and as Salesforce does
        itself after 15 days): queryAll no longer returns them. Returns how many were removed."""
        with self.lock:
            gone = [
                (sobj, rid)
                for sobj, records in self.records.items()
                for rid, r in records.items()
                if r["IsDeleted"]
            ]
            for sobj, rid in gone:
                del self.records[sobj][rid]
                self._dirty.pop(rid, None)
            with self._db:
                self._db.executemany("DELETE FROM records WHERE id = ?", [(rid,) for _, rid in gone])
            return len(gone)

    def _mark_deleted(self, sobj: str, record: dict[str, Any], now: str) -> None:
        self._remember(sobj, record["Id"], record)
        record.update(IsDeleted=True, SystemModstamp=now)
        for f in self.schema[sobj].fields.values():
            if f.external_id and record.get(f.name):
                self._external.get((sobj, f.name), {}).pop(record[f.name], None)
        self._touch(sobj, record)
        for child, ref in _CASCADE.get(sobj, ()):
            for other in self.records[child].values():
                if other.get(ref) == record["Id"] and not other["IsDeleted"]:
                    self._mark_deleted(child, other, now)

    def upsert(self, sobj: str, field: str, value: str, data: dict[str, Any]) -> tuple[str, bool]:
        obj = self._writable(sobj, "upserted")
        (canonical,) = self.resolve(obj, field)
        if not obj.fields[canonical].external_id:
            raise SfError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}"
            )
        with self.lock:
            existing = self.find_external(obj.name, canonical, value)
            if existing is not None:
                self.update(obj.name, existing["Id"], data)
                return str(existing["Id"]), False
            return self.create(obj.name, {**data, canonical: value}), True

    def seed(self, sobj: str, rows: Iterable[dict[str, Any]], *, at: datetime) -> list[str]:
        """Bulk-create records (loading the portfolio).

        Rows may carry SystemModstamp, CreatedDate and IsDeleted, which plain API writes cannot set.
        """
        ids = []
        with self.transaction():
            for row in rows:
                system = {k: row.pop(k) for k in ("SystemModstamp", "CreatedDate", "IsDeleted") if k in row}
                rid = self.create(sobj, row, at=system.get("CreatedDate") or at)
                record = self.records[sobj][rid]
                if "SystemModstamp" in system:
                    record["SystemModstamp"] = record["LastModifiedDate"] = soql.sf_datetime(
                        system["SystemModstamp"]
                    )
                if system.get("IsDeleted"):
                    record["IsDeleted"] = True
                ids.append(rid)
        return ids
