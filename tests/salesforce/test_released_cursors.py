"""Salesforce releasing a query's cursor mid-run (INVALID_QUERY_LOCATOR): the stream runs its query again
from the second of the last record it read, and reads every record once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from connectors.errors import RecordRejected
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.streams import STREAM_ORDER, build_streams, sync_salesforce
from sandbox.portfolio import generate
from sandbox.salesforce import SalesforceSandbox, start_salesforce
from store.models import SyncRun
from tests.salesforce.conftest import FAST_RETRY, sandbox_digest, sf_config, store_digest


@pytest.fixture
def small_pages(tmp_path: Path) -> Iterator[SalesforceSandbox]:
    """Pages of 10: every stream but Account spans four pages or more, and no second holds more than 6
    records (the portfolio's ties), so each page of a query run again brings something new."""
    sandbox = start_salesforce(generate(12, seed=7), state_dir=tmp_path / "sf", page_size=10)
    yield sandbox
    sandbox.stop()


def _restarts(sandbox: SalesforceSandbox) -> list[str]:
    """The queries run again from a second: a full run's own queries have no WHERE."""
    return [
        q
        for e in sandbox.server.log.entries()
        for q in e.query.get("q", [])
        if "WHERE SystemModstamp >=" in q
    ]


def test_a_cursor_released_after_every_page_still_reads_each_record_once(
    engine: Engine, small_pages: SalesforceSandbox
) -> None:
    small_pages.app.cursors.idle = timedelta(0)  # every nextRecordsUrl finds its cursor released
    api = SalesforceApi(sf_config(small_pages), retry=FAST_RETRY)
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api), full=True)}
    assert {name: r.status for name, r in results.items()} == {name: "ok" for name in STREAM_ORDER}
    for name in STREAM_ORDER:
        assert results[name].records_read == len(small_pages.records(name, include_deleted=True)), name
    assert small_pages.server.log.count("GET", r"/queryAll/01g", status=400) >= 10
    assert len(_restarts(small_pages)) == small_pages.server.log.count("GET", r"/queryAll/01g", status=400)
    assert store_digest(engine) == sandbox_digest(small_pages)


def test_a_released_cursor_in_an_incremental_run(engine: Engine, small_pages: SalesforceSandbox) -> None:
    api = SalesforceApi(sf_config(small_pages), retry=FAST_RETRY)
    sync_salesforce(engine, build_streams(api))
    small_pages.advance_clock(3600)
    for case in small_pages.records("Case")[:25]:
        small_pages.update("Case", case["Id"], {"Subject": f"{case['Subject']} (edited)"})
        small_pages.advance_clock(1)  # one a second (see the next test for more in one second)
    small_pages.app.cursors.idle = timedelta(0)
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert results["Case"].status == "ok" and results["Case"].records_read == 25
    assert len(_restarts(small_pages)) >= 2
    assert store_digest(engine) == sandbox_digest(small_pages)


def test_a_restart_that_brings_nothing_new_fails_the_run_and_the_next_run_finishes(
    engine: Engine, small_pages: SalesforceSandbox
) -> None:
    """A mass update gives more records one second than a page holds: a query run again from that second
    brings only records already read, so the run stops (as failed) instead of looping."""
    account = small_pages.records("Account")[0]["Id"]
    moment = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    rows = [
        {
            "LastName": f"Mass {i}",
            "Email": f"mass{i}@example.test",
            "AccountId": account,
            "SystemModstamp": moment,
        }
        for i in range(25)
    ]
    small_pages.state.seed("Contact", rows, at=moment)
    small_pages.app.cursors.idle = timedelta(0)
    api = SalesforceApi(sf_config(small_pages), retry=FAST_RETRY)
    with pytest.raises(RecordRejected, match="invalid query locator"):
        sync_salesforce(engine, build_streams(api))
    with engine.connect() as conn:
        run = conn.execute(
            select(SyncRun.status, SyncRun.errors, SyncRun.records_read).where(SyncRun.stream == "Contact")
        ).one()
    assert run.status == "failed" and "invalid query locator" in run.errors[0]["error"]
    assert 41 < run.records_read < len(small_pages.records("Contact"))  # and kept what it read

    small_pages.app.cursors.idle = timedelta(minutes=15)  # the org's cursors live again
    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert {r.status for r in results.values()} == {"ok"}
    assert store_digest(engine) == sandbox_digest(small_pages)
