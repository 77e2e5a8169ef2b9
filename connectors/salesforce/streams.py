"""Sync streams for Account, Contact, Opportunity, OpportunityContactRole and Case.

Each stream runs one queryAll (live and deleted records) ordered by SystemModstamp, Id:

    SELECT <mapped fields> FROM <sObject> [WHERE SystemModstamp >= <cursor - overlap>]
    ORDER BY SystemModstamp, Id

and yields one `Page` per `records_per_commit` records (five Salesforce pages of 2,000 merged, so each
transaction rewrites the store's index pages once for 10,000 rows). The cursor after a page is the
highest SystemModstamp seen so far, committed with the page's rows by the runner, so a crash resumes
from the last committed page. The next run starts `overlap` before the cursor to catch writes that
committed late in Salesforce; re-reading a record is harmless because every write is an upsert.

A cursor Salesforce releases mid-query is dealt with in `connectors.salesforce.requery`. In a
multi-currency org, the streams that hold amounts (Account, Opportunity) also read each record's
CurrencyIsoCode and store its amounts in the store currency (`connectors.salesforce.currency`; an
opportunity at the dated rates of its close date where the org has advanced currency management).

Deleted records mark their store row `is_deleted`. An OpportunityContactRole is a spell of a stakeholder
role (valid_from/valid_to) kept under the record's Id (`crm_id`, part of the spell's key): a contact who
is champion on two opportunities of one account has a spell per record, even when both were created the
same day, and holds the role while either is open. Each page is compared with the spells open under its
Ids (one query per Salesforce page, `_open_spells`): a record whose account, contact or role changed
closes its spell on the day of the change (SystemModstamp) and opens the new one from that day; a
deleted record, or one whose role is now untracked (mapped to null), closes it; an unchanged record
leaves it as it is. Streams run parents first (STREAM_ORDER) because child rows reference their
parents' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine, select

from connectors.errors import ConfigurationError
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.currency import CURRENCY_FIELD, MONEY_COLUMNS, CurrencyReader, MoneyConverter
from connectors.salesforce.mapping import (
    SOURCE,
    EntityMapping,
    RecordMapper,
    field_value,
    field_values,
    load_mapping,
)
from connectors.salesforce.requery import parse_stamp, read_to_end, soql_literal
from connectors.sync import Page, Rejection, RunResult, TableWrite, merge_pages, run_streams
from store import keys
from store.base import Base
from store.id_sets import in_ids
from store.models import STAKEHOLDER_ROLE_KEY, Account, Contact, Deal, StakeholderRole, Ticket
from store.sweep import LIMIT_FRACTION, SweepResult, close_unseen_spells, sweep_unseen

log = structlog.get_logger(__name__)
STREAM_ORDER = ("Account", "Contact", "Opportunity", "OpportunityContactRole", "Case")
_ENTITY = {
    "Account": ("account", Account, keys.account_key),
    "Contact": ("contact", Contact, keys.contact_key),
    "Opportunity": ("deal", Deal, keys.deal_key),
    "OpportunityContactRole": ("stakeholder_role", StakeholderRole, None),
    "Case": ("ticket", Ticket, keys.ticket_key),
}
ROLE_CONFLICT = STAKEHOLDER_ROLE_KEY  # a spell per record: the Id (crm_id) is part of the key
_SPELL = ("account_id", "contact_id", "role")  # what a contact role says; a change of any ends its spell


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
    engine: Engine | None = None  # the store, read for the open role spells (`sync_salesforce` sets it)
    currency: str = "USD"  # the store currency (CURRENCY): a multi-currency org's amounts convert to it
    rates: CurrencyReader | None = None  # the org's rates, shared by the streams of a run (else its own)

    def reconcile(
        self, engine: Engine, *, before: datetime, keep: set[str], limit_fraction: float | None
    ) -> SweepResult:
        """After a complete full run: rows of records Salesforce no longer returns (purged from the recycle
        bin, hard-deleted, hidden from the integration user) are marked deleted; contact roles are spells,
        so the open spells of records the run did not read end today, as a deletion would end them."""
        if self.key is None:
            today = datetime.now(UTC).date()
            return close_unseen_spells(
                engine, SOURCE, seen=self.seen, on=today, limit_fraction=limit_fraction
            )
        return sweep_unseen(
            engine, self.model, SOURCE, before=before, keep=keep, limit_fraction=limit_fraction
        )

    def __post_init__(self) -> None:
        self.mapper = RecordMapper(self.mapping)
        self.expected: int | None = None  # totalSize of the running query, once its first page arrived
        self.seen: set[str] = set()  # contact roles: every record Id the running full run has read
        mapped = {f.column: f.sf_field for f in self.mapping.fields}
        self.money_fields = {c: mapped[c] for c in MONEY_COLUMNS.get(self.mapping.entity, ()) if c in mapped}
        self.money: MoneyConverter | None = None  # set when a run starts in a multi-currency org
        # opportunities convert at the dated rates of their close date (advanced currency management)
        self.dated = self.mapping.entity == "deal"
        if self.rates is None:
            self.rates = CurrencyReader(self.api, self.currency)

    def soql(self, since: str | None) -> str:
        return self._soql(soql_literal(parse_stamp(since) - self.overlap) if since else None)

    def _soql(self, low: str | None) -> str:
        where = f" WHERE SystemModstamp >= {low}" if low else ""
        fields = self.mapper.soql_fields()
        if self.money is not None and CURRENCY_FIELD not in fields:
            fields = [*fields, CURRENCY_FIELD]
        return f"SELECT {', '.join(fields)} FROM {self.mapping.sobject}{where} ORDER BY SystemModstamp, Id"

    def _expect(self, total: int) -> None:
        self.expected = total

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        since: str | None = None if full else cursor.get("system_modstamp")
        requests_before = self.api.requests_made
        group: list[Page] = []
        track = full and self.key is None
        self.seen = set()
        rates: dict[str, str] | None = None  # what the stored amounts depend on (the cursor keeps it)
        if self.money_fields and self.rates is not None:  # the org's currencies and rates, as they are now
            self.money = self.rates.converter(self.name, dated=self.dated)
            rates = self.money.fingerprint(dated=self.dated) if self.money else None
            if since and cursor.get("rates") != rates:
                # the records were stored at other rates, or in another CURRENCY: read them all again
                log.info("salesforce.rates_changed", stream=self.name, rates=rates)
                since = None
        high = since or ""
        try:
            read = read_to_end(self.api, self.soql(since), self._soql, name=self.name, on_total=self._expect)
            for records in read:
                if track:
                    self.seen.update(r["Id"] for r in records)
                page = self._page(records)
                high = max([high, *(r["SystemModstamp"] for r in records)])
                page.cursor = {"system_modstamp": high} if high else {}
                if rates is not None:
                    page.cursor["rates"] = rates
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
        read = records
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
        if self.money is not None:
            page.rejected.extend(self._convert(rows, records))
        if self.key is None:
            spells = self._spells(read, rows, records)
            page.writes.append(TableWrite(self.model, _dedupe_roles(spells), ROLE_CONFLICT, ("valid_to",)))
        else:
            key = self.key
            for row, record in zip(rows, records, strict=True):
                crm_id = record["Id"]
                row.update(
                    id=key(SOURCE, crm_id),
                    source=SOURCE,
                    crm_id=crm_id,
                    crm_modified_at=parse_stamp(record["SystemModstamp"]),
                    is_deleted=False,
                    synced_at=now,
                )
            if self.model is Account:
                for row in rows:
                    row["currency"] = self.currency  # the currency its stored amounts are in
            page.writes.append(TableWrite(self.model, rows))
        return page

    def _convert(self, rows: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[Rejection]:
        """Amounts in the store currency, in place; an amount in a currency without a rate is stored
        empty and reported (the record is kept)."""
        money, sobject = self.money, self.mapping.sobject
        assert money is not None
        rejected = []
        for row, record in zip(rows, records, strict=True):
            code = record.get(CURRENCY_FIELD)
            on = row.get("close_date") if self.dated else None
            for column, sf_field in self.money_fields.items():
                amount = row.get(column)
                if amount is None:
                    continue
                try:
                    row[column] = money.convert(amount, code, on)
                except KeyError:
                    row[column] = None
                    reason = (
                        f"{sobject}.{sf_field}: kept in {code!r}, a currency this org has no conversion "
                        f"rate for; stored empty"
                    )
                    rejected.append(Rejection(record["Id"], reason, sf_field))
        return rejected

    def _spells(
        self, read: list[dict[str, Any]], rows: list[dict[str, Any]], records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Role rows for a page of contact roles (`read`; `rows` mapped from `records`), the spells they
        close included, from the spells open under the same Ids.

        A record rejected for another reason than an untracked role (an unknown picklist value) leaves
        its spell open: it is reported, and a mapping mistake must not end every champion's spell."""
        stored = self._open_spells([r["Id"] for r in read])
        out: list[dict[str, Any]] = []
        for row, record in zip(rows, records, strict=True):
            day = parse_stamp(record["SystemModstamp"]).date()
            row.update(
                source=SOURCE,
                crm_id=record["Id"],
                recorded_by=None,
                valid_to=day if record["IsDeleted"] else None,
            )
            spells = stored.pop(record["Id"], [])
            kept = next((s for s in spells if all(s[c] == row[c] for c in _SPELL)), None)
            out.extend({**s, "valid_to": day} for s in spells if s is not kept)
            if kept is not None:
                row["valid_from"] = kept["valid_from"]  # the same spell: rewritten as it is
            elif spells:
                if record["IsDeleted"]:
                    continue  # changed, then deleted: ending the spell it had is all there is to do
                row["valid_from"] = day  # the new spell starts with the change
            out.append(row)
        if stored:  # records without a row: a deleted one or an untracked role ends its spell
            ended = {r["Id"]: r for r in read if r["Id"] in stored and (r["IsDeleted"] or self._untracked(r))}
            for crm_id, record in ended.items():
                day = parse_stamp(record["SystemModstamp"]).date()
                out.extend({**s, "valid_to": day} for s in stored[crm_id])
        return out

    def _untracked(self, record: dict[str, Any]) -> bool:
        """Whether the record's role is a known value mapped to null (not one the store tracks)."""
        picklist = self.mapping.picklists.get("role") or {}
        value = field_value(record, next(f.sf_field for f in self.mapping.fields if f.column == "role"))
        return isinstance(value, str) and value in picklist and picklist[value] is None

    def _open_spells(self, crm_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The open Salesforce role spells stored under `crm_ids` (one query, through the open-spell index).

        Read ahead of the writer, which may still be writing earlier pages: those name other records
        (one query names a record once), so what they write is not what is read here."""
        if self.engine is None:
            raise ConfigurationError(f"the {self.name} stream compares with the store: it needs an engine")
        sr = StakeholderRole
        with self.engine.connect() as conn:
            found = conn.execute(
                select(sr.account_id, sr.contact_id, sr.role, sr.valid_from, sr.crm_id)
                .where(sr.source == SOURCE, sr.valid_to.is_(None), in_ids(sr.crm_id, crm_ids, conn.dialect))
                .order_by(sr.valid_from)
            ).all()
        out: dict[str, list[dict[str, Any]]] = {}
        for account_id, contact_id, role, valid_from, crm_id in found:
            out.setdefault(crm_id, []).append(
                {
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "role": role,
                    "valid_from": valid_from,
                    "source": SOURCE,
                    "crm_id": crm_id,
                    "recorded_by": None,
                    "valid_to": None,
                }
            )
        return out


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
    """One row per spell key (`ROLE_CONFLICT`; one statement may not write a row twice): a live role
    wins over an ended one."""
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
    currency: str = "USD",
) -> list[SObjectStream]:
    """The streams in STREAM_ORDER; `currency` is the store currency (CURRENCY) amounts are kept in."""
    mapping = mapping or load_mapping()
    rates = CurrencyReader(api, currency)  # read once per run, for Account and Opportunity alike
    out = []
    for name in STREAM_ORDER:
        entity, model, key = _ENTITY[name]
        out.append(
            SObjectStream(
                name,
                api,
                mapping[entity],
                model,
                key,
                overlap,
                records_per_commit=records_per_commit,
                currency=currency,
                rates=rates,
            )
        )
    return out


def sync_salesforce(
    engine: Engine,
    streams: list[SObjectStream],
    *,
    full: bool = False,
    on_page: Callable[[RunResult], None] | None = None,
    sweep_limit: float | None = LIMIT_FRACTION,
) -> list[RunResult]:
    """Run the streams in order (see `connectors.sync.run_streams`; `sweep_limit` for a full run)."""
    for stream in streams:
        stream.engine = engine
    return run_streams(engine, streams, full=full, on_page=on_page, sweep_limit=sweep_limit)


__all__ = ["STREAM_ORDER", "SObjectStream", "build_streams", "sync_salesforce"]
