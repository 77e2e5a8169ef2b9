"""Reading a query to its end although Salesforce may release its cursor on the way.

Salesforce releases a query's server-side cursor after 15 idle minutes, or when its user opens an
11th (another integration signed in as the same user, say): the next `nextRecordsUrl` then answers
400 INVALID_QUERY_LOCATOR. `read_to_end` runs the query again from the second of the last record it
read (`SystemModstamp >= that second`; the queries are ordered by SystemModstamp, Id), skips the
records of that second it already has, and goes on. A restart that brings nothing new (a mass update
gave one second more records than a page holds), or more than `MAX_RESTARTS`, raises the error: the
run stops as failed and resumes from its committed cursor next time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import structlog

from connectors.errors import RecordRejected
from connectors.salesforce.api import SalesforceApi

log = structlog.get_logger(__name__)

MAX_RESTARTS = 20  # per query read to its end
Records = list[dict[str, Any]]
Tail = tuple[str, set[str]]  # a second (as a SOQL literal) and the Ids read in it


def parse_stamp(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def soql_literal(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _second(stamp: str) -> str:
    return soql_literal(parse_stamp(stamp))


def read_to_end(
    api: SalesforceApi,
    soql: str,
    soql_from: Callable[[str], str],
    *,
    name: str,
    on_total: Callable[[int], None] = lambda total: None,
) -> Iterator[Records]:
    """`soql`'s records (live and deleted), page by page; after a released cursor, `soql_from(second)`
    (the same query from that second on) takes over. `on_total` hears how many records the whole read
    comes to, from each query's totalSize."""
    restarts, read, before = 0, 0, 0  # before: records read that the running query starts after
    tail: Tail = ("", set())
    skip: Tail = ("", set())  # after a restart: the Ids of its first second already read
    while True:
        new = 0
        try:
            for records, total in api.query_pages(soql, include_deleted=True):
                on_total(before + total)
                if skip[1]:
                    records, skip = _skip_read(records, skip)
                if records:
                    tail = _tail(records, tail)
                    read, new = read + len(records), new + len(records)
                    yield records
            return
        except RecordRejected as exc:
            released = exc.code == "INVALID_QUERY_LOCATOR"
            if not released or not tail[0] or (restarts and not new) or restarts >= MAX_RESTARTS:
                raise
            restarts += 1
            soql, skip = soql_from(tail[0]), (tail[0], set(tail[1]))
            before = read - len(skip[1])
            log.info(
                "salesforce.query_restarted", stream=name, restarts=restarts, since=tail[0], records_read=read
            )


def _tail(records: Records, tail: Tail) -> Tail:
    """The second of a page's last record, with the Ids read in that second so far (this page's, and
    the previous pages' when they ended in the same second)."""
    second = _second(records[-1]["SystemModstamp"])
    ids = tail[1] if tail[0] == second else set()
    for record in reversed(records):
        if _second(record["SystemModstamp"]) != second:
            break
        ids.add(record["Id"])
    return second, ids


def _skip_read(records: Records, skip: Tail) -> tuple[Records, Tail]:
    """A restarted query's page without the records of the restart's second already read; the skip
    ends at the first record of a later second (a record changed since then reads again, as it should)."""
    second, ids = skip
    for i, record in enumerate(records):
        if _second(record["SystemModstamp"]) != second:
            return [r for r in records[:i] if r["Id"] not in ids] + records[i:], ("", set())
    return [r for r in records if r["Id"] not in ids], skip
