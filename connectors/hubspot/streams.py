"""HubSpot sync streams for companies, contacts, deals and tickets (`ObjectStream`) and for the
company-contact stakeholder labels (`connectors.hubspot.roles.RoleStream`).

An object stream moves through three phases, and its cursor (committed with each page) says where it is:

    list      initial load (or --full): list paging with `after`; associations come with each page
    search    incremental: search on the modification date, ascending, ties broken by id, paged by key:
              every page is a new query `modified > since OR (modified = since AND id > last_id)` from
              the last record seen, never HubSpot's `after` offset. An offset skips a record whenever
              one already read is edited meanwhile (it moves to the end and the rest shift down), and
              it cannot go past 10,000 results. The cursor holds (since, last_id), so a crash resumes
              exactly.
    archived  archived records (search never returns them) -> deletes, for those archived since the
              last run.

A deal's or ticket's company is its Primary association (the lowest linked id when none is primary).

Companies' ARR and deals' amounts are converted into the store currency (`currency.Money`, one per run,
shared by the streams): the companies and deals streams read the account's currencies when they start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from connectors.errors import MappingError
from connectors.hubspot import mapping as m
from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.currency import Money
from connectors.sync import Page, Rejection, TableWrite, merge_pages
from store import keys
from store.base import Base
from store.models import Account, Contact, Deal, Ticket
from store.sweep import SweepResult, sweep_unseen
from store.types import utcnow

MODELS: dict[str, type[Base]] = {"companies": Account, "contacts": Contact, "deals": Deal, "tickets": Ticket}
KEY_FNS = {
    "companies": keys.account_key,
    "contacts": keys.contact_key,
    "deals": keys.deal_key,
    "tickets": keys.ticket_key,
}
# What each object needs to know about its parents: read with list pages / v4 batch read after search.
PARENTS = {"companies": (), "contacts": (), "deals": ("companies",), "tickets": ("companies", "contacts")}
# The streams whose rows hold amounts (a company's ARR, a deal's amount) to convert.
CONVERTS = ("companies", "deals")
# HubSpot's Primary company of a deal or ticket (the one its record page shows): the name the v3 list
# API gives the link, and the v4 association type id.
PRIMARY = {
    ("deals", "companies"): ("deal_to_company", 5),
    ("tickets", "companies"): ("ticket_to_company", 26),
}


def _ms(value: datetime | None) -> int:
    return int(value.timestamp() * 1000) if value else 0


def _pick_parent(links: list[tuple[int, bool]]) -> str:
    """The parent among (id, is primary) links: the Primary one, or else the lowest id. A deal may be
    linked to a partner or reseller company as well as its customer, and the lowest id need not be the
    customer's; the lowest id keeps the choice stable when HubSpot marks none."""
    primary = [i for i, is_primary in links if is_primary]
    return str(min(primary or [i for i, _ in links]))


def _has_type(target: Any, type_id: int) -> bool:
    """Whether a v4 association target is linked with HubSpot's own association type `type_id`."""
    return any(
        t.category == "HUBSPOT_DEFINED" and t.type_id == type_id for t in target.association_types or []
    )


def _stub_rows(model: type[Base], ids: dict[str, str], now: datetime) -> list[dict[str, Any]]:
    """Placeholder parents (inserted only if missing) so a child can reference a parent synced later."""
    base = {"source": m.SOURCE, "is_deleted": False, "synced_at": now, "crm_modified_at": None}
    if model is Account:
        return [{"id": k, "crm_id": c, "name": "", "extra": {}, **base} for k, c in ids.items()]
    return [{"id": k, "crm_id": c, **base} for k, c in ids.items()]


@dataclass
class ObjectStream:
    name: str
    calls: HubSpotCalls
    mapping: m.Mapping
    source: str = m.SOURCE
    page_size: int = 100
    search_limit: int = 200
    lookback_ms: int = 0
    pages_per_commit: int = 5  # list pages written per transaction (fewer, larger commits)
    now: Callable[[], datetime] = field(default=utcnow)
    # Store ids of companies/contacts this run has written, shared by the streams of one run: a child
    # whose parent is known needs no placeholder row.
    known: set[str] = field(default_factory=set)
    # Converts amounts into the store currency; shared by the streams of one run (see `runner`).
    money: Money | None = None

    def __post_init__(self) -> None:
        if self.money is None:
            self.money = Money(self.calls)

    @property
    def modified_prop(self) -> str:
        return self.mapping.modified(self.name)

    def reconcile(
        self, engine: Engine, *, before: datetime, keep: set[str], limit_fraction: float | None
    ) -> SweepResult:
        """After a complete full run: rows of records HubSpot no longer lists are marked deleted."""
        return sweep_unseen(
            engine, MODELS[self.name], self.source, before=before, keep=keep, limit_fraction=limit_fraction
        )

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        """The stream's pages. A stream with amounts first learns the account's currencies (the requests
        that takes count with its first page), and its cursor remembers the store currency and a
        fingerprint of the exchange rates the amounts were converted with: when CURRENCY or the rates
        have changed since, the run lists every record again, so no amount stays in the old currency or
        at an old rate. A rate update changes open deals' `hs_exchange_rate` without moving their
        modification date: the deals stream reads the rates as it starts whenever its cursor holds a
        fingerprint (see `currency`)."""
        if self.name not in CONVERTS:
            yield from self._pages(cursor, full=full)
            return
        before = self.calls.stats.requests
        self._money.prepare()
        if self.name == "deals" and cursor.get("rates") is not None:
            self._money.read_rates()
        pending = self.calls.stats.requests - before
        target, seen = self._money.target, cursor.get("rates")
        rates = self._rates_key()
        moved = seen is not None and rates is not None and rates != seen
        if cursor.get("currency") not in (None, target) or moved:
            cursor = {"archived_since": cursor.get("archived_since", 0)}  # list from the start
        for page in self._pages(cursor, full=full):
            page.requests_made += pending
            rates = self._rates_key() or seen  # the rates may be read mid-run, when a deal needs them
            page.cursor = {**page.cursor, "currency": target, **({"rates": rates} if rates else {})}
            pending = 0
            yield page

    def _rates_key(self) -> str | None:
        """The fingerprint of the rates this stream's amounts depend on, once read: every rate for
        deals; for companies (ARR is in the company currency) only when CURRENCY is another currency."""
        if self.name == "companies" and self._money.company in (None, self._money.target):
            return None
        return self._money.fingerprint()

    @property
    def _money(self) -> Money:
        assert self.money is not None
        return self.money

    def _pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        cur = dict(cursor)
        phase = cur.get("phase")
        if full or cur.get("since") is None:
            if phase not in ("list", "archived"):
                cur = {
                    "phase": "list",
                    "after": None,
                    "max_modified": 0,
                    "started": _ms(self.now()),
                    "archived_since": cur.get("archived_since", 0),
                }
            if cur["phase"] == "list":
                yield from self._list(cur)
        elif phase != "archived":
            yield from self._search(cur)
        yield from self._archived(cur, full=full)

    # -- mapping a batch of records --------------------------------------------------------------

    def _page(self, records: list[Any], parents: dict[str, dict[str, str]]) -> Page:
        now = self.now()
        rows, rejected = [], []
        need_accounts: dict[str, str] = {}
        need_contacts: dict[str, str] = {}
        for rec in records:
            rid = str(rec.id)
            company = parents.get("companies", {}).get(rid)
            contact = parents.get("contacts", {}).get(rid)
            try:
                if self.name == "companies":
                    row = m.company_row(rec, self.mapping, now, self._money)
                elif self.name == "contacts":
                    company = company or (rec.properties or {}).get(self.mapping.field("contacts", "company"))
                    row = m.contact_row(rec, self.mapping, now, company)
                elif self.name == "deals":
                    row, unconverted = m.deal_row(rec, self.mapping, now, company, self._money)
                    if unconverted is not None:  # kept without an amount, and reported
                        rejected.append(unconverted)
                else:
                    row = m.ticket_row(rec, self.mapping, now, company, contact)
            except MappingError as exc:
                rejected.append(Rejection(rid, str(exc.args[0]), exc.field))
                continue
            rows.append(row)
            if company and self.name != "companies":
                need_accounts[m.account_ref(company)] = company
            if contact:
                need_contacts[m.contact_ref(contact)] = contact
        writes = []
        for model, needed in ((Account, need_accounts), (Contact, need_contacts)):
            missing = {k: v for k, v in needed.items() if k not in self.known}
            if missing:
                writes.append(TableWrite(model, _stub_rows(model, missing, now), update_columns=()))
                self.known.update(missing)
        writes.append(TableWrite(MODELS[self.name], rows))
        if self.name in ("companies", "contacts"):
            self.known.update(r["id"] for r in rows)
        return Page(writes=writes, rejected=rejected, records_read=len(records))

    def _parents_from_list(self, records: list[Any]) -> dict[str, dict[str, str]]:
        """Parents from the associations a list page carries: one entry per linked record and type,
        the Primary link named e.g. "deal_to_company"."""
        out: dict[str, dict[str, str]] = {p: {} for p in PARENTS[self.name]}
        for rec in records:
            for parent in PARENTS[self.name]:
                linked = (rec.associations or {}).get(parent)
                if linked is not None and linked.results:
                    name, _ = PRIMARY.get((self.name, parent), ("", 0))
                    links = [(int(a.id), bool(name) and a.type == name) for a in linked.results]
                    out[parent][str(rec.id)] = _pick_parent(links)
        return out

    def _parents_from_v4(self, records: list[Any]) -> dict[str, dict[str, str]]:
        """Parents of searched records (search returns no associations) from a v4 batch read, where
        each linked record lists its association types."""
        out: dict[str, dict[str, str]] = {p: {} for p in PARENTS[self.name]}
        ids = [{"id": str(r.id)} for r in records]
        for parent in PARENTS[self.name]:
            _, type_id = PRIMARY.get((self.name, parent), ("", 0))
            data = self.calls.read_associations(self.name, parent, ids)
            for result in data.results:
                if result.to:
                    links = [(int(t.to_object_id), _has_type(t, type_id)) for t in result.to]
                    out[parent][str(result._from.id)] = _pick_parent(links)
        return out

    # -- phases ------------------------------------------------------------------------------------

    def _rates_for(self, records: list[Any]) -> int:
        """Read the exchange rates if a deal among `records` is in another currency than the company's
        and they are not read yet (before the next page is requested, so one request is in flight at a
        time); returns the requests made."""
        field_name = self.mapping.optional_field("deals", "currency") if self.name == "deals" else None
        if field_name is None:
            return 0
        before = self.calls.stats.requests
        self._money.need_rates((r.properties or {}).get(field_name) for r in records)
        return self.calls.stats.requests - before

    def _fetch_list_page(self, after: str | None) -> tuple[Any, int]:
        before = self.calls.stats.requests
        data = self.calls.list_page(
            self.name,
            after=after,
            properties=self.mapping.properties(self.name),
            associations=PARENTS[self.name],
            limit=self.page_size,
        )
        return data, self.calls.stats.requests - before

    def _list(self, cur: dict[str, Any]) -> Iterator[Page]:
        # The next page is fetched in the background while this one is mapped and written: HubSpot's
        # latency overlaps with the store's. Only one request is in flight at a time.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hubspot-{self.name}") as pool:
            pending = pool.submit(self._fetch_list_page, cur.get("after"))
            group: list[Page] = []
            while True:
                data, requests = pending.result()
                requests += self._rates_for(data.results)
                nxt = data.paging.next.after if data.paging and data.paging.next else None
                if nxt is not None:
                    pending = pool.submit(self._fetch_list_page, nxt)
                page = self._page(data.results, self._parents_from_list(data.results))
                cur["max_modified"] = max(
                    [cur["max_modified"], *(self._modified_ms(r) for r in data.results)]
                )
                if nxt is None:
                    started = cur["started"]
                    since = min(cur["max_modified"], started) if cur["max_modified"] else started
                    archived_since = cur.get("archived_since", 0)
                    cur.clear()
                    cur.update(
                        phase="archived", after=None, since=since, last_id="0", archived_since=archived_since
                    )
                else:
                    cur["after"] = nxt
                page.cursor = dict(cur)
                page.requests_made = requests
                group.append(page)
                if nxt is None or len(group) >= self.pages_per_commit:
                    yield merge_pages(group)
                    group = []
                if nxt is None:
                    return

    def _modified_ms(self, rec: Any) -> int:
        value = (rec.properties or {}).get(self.modified_prop)
        try:
            parsed = m.parse_datetime(value)
        except MappingError:
            parsed = None
        return _ms(parsed or rec.updated_at)

    def _search_body(self, since: int, last_id: str) -> dict[str, Any]:
        """The records modified after (since, last_id), in that order: one page of the keyset."""
        mod = self.modified_prop
        return {
            "filterGroups": [
                {"filters": [{"propertyName": mod, "operator": "GT", "value": str(since)}]},
                {
                    "filters": [
                        {"propertyName": mod, "operator": "EQ", "value": str(since)},
                        {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
                    ]
                },
            ],
            "sorts": [{"propertyName": mod, "direction": "ASCENDING"}],
            "properties": self.mapping.properties(self.name),
            "limit": self.search_limit,
        }

    def _search(self, cur: dict[str, Any]) -> Iterator[Page]:
        cur["phase"] = "search"
        if self.lookback_ms:
            cur["since"], cur["last_id"] = max(0, int(cur["since"]) - self.lookback_ms), "0"
        while True:
            before = self.calls.stats.requests
            data = self.calls.search(self.name, self._search_body(int(cur["since"]), str(cur["last_id"])))
            records = list(data.results)
            if not records:
                break
            parents = self._parents_from_v4(records) if PARENTS[self.name] else {}
            self._rates_for(records)  # counted with the page's requests
            page = self._page(records, parents)
            cur["since"], cur["last_id"] = self._modified_ms(records[-1]), str(records[-1].id)
            page.cursor = dict(cur)
            page.requests_made = self.calls.stats.requests - before
            yield page
            if not (data.paging and data.paging.next):
                break  # nothing after this page; a record edited since is picked up by the next run
        cur.update(phase="archived", after=None)

    def _archived(self, cur: dict[str, Any], *, full: bool) -> Iterator[Page]:
        since = 0 if full else int(cur.get("archived_since") or 0)
        newest = int(cur.get("archived_max") or since)
        model, key_fn = MODELS[self.name], KEY_FNS[self.name]
        while True:
            before = self.calls.stats.requests
            data = self.calls.list_page(
                self.name, after=cur.get("after"), properties=["hs_object_id"], archived=True
            )
            gone = [r for r in data.results if _ms(r.archived_at) > since or r.archived_at is None]
            newest = max([newest, *(_ms(r.archived_at) for r in data.results)])
            nxt = data.paging.next.after if data.paging and data.paging.next else None
            cur.update(after=nxt, archived_max=newest)
            if nxt is None:
                done = {
                    "phase": "done",
                    "since": cur["since"],
                    "last_id": cur["last_id"],
                    "archived_since": newest,
                }
                cur.clear()
                cur.update(done)
            page = Page(
                deletes={model: [key_fn(m.SOURCE, str(r.id)) for r in gone]},
                cursor=dict(cur),
                records_read=len(data.results),
                requests_made=self.calls.stats.requests - before,
            )
            yield page
            if nxt is None:
                return
