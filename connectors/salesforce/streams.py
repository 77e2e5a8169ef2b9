"""Sync streams for Account, Contact, Opportunity, OpportunityContactRole and Case.

Each stream runs one queryAll (live and deleted records) ordered by SystemModstamp, Id:

    SELECT <mapped fields> FROM <sObject> [WHERE SystemModstamp >= <cursor - overlap>]
    ORDER BY SystemModstamp, Id

and yields one `Page` per `records_per_commit` records (five Salesforce pages of 2,000 merged, so each
transaction rewrites the store's index pages once for 10,000 rows). The cursor after a page is the
highest SystemModstamp seen so far, committed with the page's rows by the runner, so a crash resumes
from the last committed page. The next run starts `overlap` before the cursor to catch writes that
committed late in Salesforce; re-reading a record is harmless because every write is an upsert.

Deleted records mark their store row `is_deleted`; a deleted OpportunityContactRole closes the
stakeholder role (valid_to = the day it was deleted). Streams run parents first (STREAM_ORDER) because
child rows reference their parents' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.mapping import SOURCE, EntityMapping, RecordMapper, field_values, load_mapping
from connectors.sync import Page, RunResult, TableWrite, merge_pages, run_streams
from store import keys
from store.base import Base
from store.models import Account, Contact, Deal, StakeholderRole, Ticket

STREAM_ORDER = ("Account", "Contact", "Opportunity", "OpportunityContactRole", "Case")
_ENTITY = {
    "Account": ("account", Account, keys.account_key),
    "Contact": ("contact", Contact, keys.contact_key),
    "Opportunity": ("deal", Deal, keys.deal_key),
    "OpportunityContactRole": ("stakeholder_role", StakeholderRole, None),
    "Case": ("ticket", Ticket, keys.ticket_key),
}
ROLE_CONFLICT = ("account_id", "contact_id", "role", "valid_from")


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _literal(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SObjectStream:
    """One sObject -> one store table, implementing `connectors.sync.Stream`."""

    name: str
    api: SalesforceApi
    mapping: EntityMapping
    model: type[Base]
    key: Callable[[str, str], str] | None  # store id from the Salesforce Id; None for stakeholder roles
    overlap: timedelta = timedelta(minutes=5)
    source: str = SOURCE
    records_per_commit: int = 10_000  # Salesforce pages (2,000 records) written per transaction, merged

    def __post_init__(self) -> None:
        self.mapper = RecordMapper(self.mapping)
        self.expected: int | None = None  # totalSize of the running query, once its first page arrived

    def soql(self, since: str | None) -> str:
        where = f" WHERE SystemModstamp >= {_literal(_parse(since) - self.overlap)}" if since else ""
        return (
            f"SELECT {', '.join(self.mapper.soql_fields())} FROM {self.mapping.sobject}{where} "
            "ORDER BY SystemModstamp, Id"
        )

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        since: str | None = None if full else cursor.get("system_modstamp")
        high = since or ""
        requests_before = self.api.requests_made
        group: list[Page] = []
        try:
            for records, total in self.api.query_pages(self.soql(since), include_deleted=True):
                self.expected = total
                page = self._page(records)
                high = max([high, *(r["SystemModstamp"] for r in records)])
                page.cursor = {"system_modstamp": high} if high else {}
                page.requests_made = self.api.requests_made - requests_before
                requests_before = self.api.requests_made
                group.append(page)
                if sum(p.records_read for p in group) >= self.records_per_commit:
                    yield merge_pages(group)
                    group = []
        except Exception:
            if group:  # a limit or failure mid-group: keep what arrived before it, then stop
                yield merge_pages(group)
            raise
        if group:
            yield merge_pages(group)

    def _page(self, records: list[dict[str, Any]]) -> Page:
        page = Page(records_read=len(records))
        now = datetime.now(UTC)
        if self.key is not None:
            deleted = [self.key(SOURCE, r["Id"]) for r in records if r["IsDeleted"]]
            if deleted:
                records = [r for r in records if not r["IsDeleted"]]
            page.deletes[self.model] = deleted
        rows, kept, rejected = self.mapper.map_many(records)
        page.rejected.extend(rejected)
        if len(kept) != len(records):
            records = [records[i] for i in kept]
        parents: dict[str, dict[str, str]] = {"account": {}, "contact": {}}
        for column, sf_field, parent in self.mapper.parents:
            raw = field_values(records, sf_field)
            parents[parent].update(
                {
                    key: str(value)
                    for key, value in zip([row[column] for row in rows], raw, strict=True)
                    if key is not None
                }
            )
        page.writes.extend(_parent_stubs(parents, now))
        if self.key is None:
            for row, record in zip(rows, records, strict=True):
                row.update(
                    source=SOURCE,
                    crm_id=record["Id"],
                    recorded_by=None,
                    valid_to=_parse(record["SystemModstamp"]).date() if record["IsDeleted"] else None,
                )
            page.writes.append(
                TableWrite(self.model, _dedupe_roles(rows), ROLE_CONFLICT, ("valid_to", "crm_id", "source"))
            )
        else:
            key = self.key
            for row, record in zip(rows, records, strict=True):
                crm_id = record["Id"]
                row.update(
                    id=key(SOURCE, crm_id),
                    source=SOURCE,
                    crm_id=crm_id,
                    crm_modified_at=_parse(record["SystemModstamp"]),
                    is_deleted=False,
                    synced_at=now,
                )
            page.writes.append(TableWrite(self.model, rows))
        return page


def _parent_stubs(parents: dict[str, dict[str, str]], now: datetime) -> list[TableWrite]:
    """Placeholder parent rows, inserted only where none exists (ON CONFLICT DO NOTHING).

    A child created in Salesforce after its parent's stream ran (an Account and its Contact created
    mid-sync) would otherwise break the foreign key and fail the run. The placeholder has an empty name
    and no modification time; the parent's own stream fills it in on its next run (parents run first).
    """
    synced = {"source": SOURCE, "is_deleted": False, "synced_at": now, "crm_modified_at": None}
    writes = []
    if parents["account"]:
        extra: dict[str, Any] = {}  # one object for every row: the bulk write converts it once
        rows = [
            {"id": k, "crm_id": v, "name": "", "extra": extra, **synced}
            for k, v in parents["account"].items()
        ]
        writes.append(TableWrite(Account, rows, update_columns=()))
    if parents["contact"]:
        rows = [{"id": k, "crm_id": v, "account_id": None, **synced} for k, v in parents["contact"].items()]
        writes.append(TableWrite(Contact, rows, update_columns=()))
    return writes


def _dedupe_roles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (account, contact, role, valid_from): a live role wins over an ended one."""
    best: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[c] for c in ROLE_CONFLICT)
        kept = best.get(key)
        if kept is None or (
            kept["valid_to"] is not None and (row["valid_to"] is None or row["valid_to"] > kept["valid_to"])
        ):
            best[key] = row
    return list(best.values())


def build_streams(
    api: SalesforceApi,
    mapping: dict[str, EntityMapping] | None = None,
    *,
    overlap: timedelta = timedelta(minutes=5),
    records_per_commit: int = 10_000,
) -> list[SObjectStream]:
    mapping = mapping or load_mapping()
    out = []
    for name in STREAM_ORDER:
        entity, model, key = _ENTITY[name]
        out.append(
            SObjectStream(
                name, api, mapping[entity], model, key, overlap, records_per_commit=records_per_commit
            )
        )
    return out


def sync_salesforce(
    engine: Engine,
    streams: list[SObjectStream],
    *,
    full: bool = False,
    on_page: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run the streams in order (see `connectors.sync.run_streams`)."""
    return run_streams(engine, streams, full=full, on_page=on_page)


__all__ = ["STREAM_ORDER", "SObjectStream", "build_streams", "sync_salesforce"]
