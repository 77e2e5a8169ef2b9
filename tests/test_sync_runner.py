"""The shared stream runner: a page's rows and its cursor commit together; runs are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from connectors.errors import AuthError, RateLimited
from connectors.sync import Page, Rejection, TableWrite, apply_page, run_stream
from store import keys, sync_repo
from store.models import Account, Contact, SyncRun
from store.sweep import SweepResult, sweep_unseen
from store.uow import unit_of_work
from store.upsert import bulk_upsert


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": keys.account_key("salesforce", f"A{i}"),
            "source": "salesforce",
            "crm_id": f"A{i}",
            "name": f"Account {i}",
            "extra": {},
            "is_deleted": False,
            "synced_at": datetime.now(UTC),
        }
        for i in range(start, start + count)
    ]


class FakeStream:
    """A stream of three pages of accounts that can fail before a given page."""

    source = "salesforce"
    name = "Account"

    def __init__(self, fail_before_page: int | None = None, error: Exception | None = None) -> None:
        self.fail_before_page = fail_before_page
        self.error = error or RuntimeError("connection dropped")
        self.seen_cursors: list[dict[str, Any]] = []

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        self.seen_cursors.append(cursor)
        start_page = cursor.get("page", 0)
        for page in range(start_page, 3):
            if page == self.fail_before_page:
                raise self.error
            yield Page(
                writes=[TableWrite(Account, _rows(page * 10, 10))],
                cursor={"page": page + 1},
                records_read=10,
                requests_made=1,
                rejected=[Rejection("bad-1", "unknown Industry 'Spaceships'", "Industry")]
                if page == 1
                else [],
            )


def _accounts(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_crash_keeps_committed_pages_and_resume_continues(engine: Engine) -> None:
    with pytest.raises(RuntimeError):
        run_stream(engine, FakeStream(fail_before_page=2))
    assert _accounts(engine) == 20
    with unit_of_work(engine) as session:
        assert sync_repo.get_cursor(session, "salesforce", "Account") == {"page": 2}
        failed = session.scalars(select(SyncRun)).one()
        assert failed.status == "failed"
        assert failed.records_upserted == 20
        assert "connection dropped" in failed.errors[0]["error"]  # what stopped the run comes first

    stream = FakeStream()
    result = run_stream(engine, stream)
    assert stream.seen_cursors == [{"page": 2}]
    assert result.records_upserted == 10
    assert _accounts(engine) == 30


def test_rejections_are_recorded_and_mark_the_run_partial(engine: Engine) -> None:
    result = run_stream(engine, FakeStream())
    assert result.status == "partial"
    assert result.records_rejected == 1
    with unit_of_work(engine) as session:
        run = session.scalars(select(SyncRun)).one()
        assert run.errors == [
            {"record_id": "bad-1", "field": "Industry", "error": "unknown Industry 'Spaceships'"}
        ]
        assert run.requests_made == 3


def test_rate_limit_stops_the_run_without_raising_and_resumes_later(engine: Engine) -> None:
    result = run_stream(
        engine, FakeStream(fail_before_page=1, error=RateLimited("daily limit", retry_after=60))
    )
    assert result.status == "partial"
    assert _accounts(engine) == 10
    assert run_stream(engine, FakeStream()).records_upserted == 20


def test_auth_error_fails_the_run_and_propagates(engine: Engine) -> None:
    with pytest.raises(AuthError):
        run_stream(
            engine, FakeStream(fail_before_page=0, error=AuthError("INVALID_SESSION_ID", source="salesforce"))
        )
    with unit_of_work(engine) as session:
        assert session.scalars(select(SyncRun)).one().status == "failed"


def test_full_run_resets_the_cursor(engine: Engine) -> None:
    run_stream(engine, FakeStream())
    stream = FakeStream()
    run_stream(engine, stream, full=True)
    assert stream.seen_cursors == [{}]
    assert _accounts(engine) == 30


def test_a_departure_recorded_from_slack_survives_a_crm_sync_without_one(engine: Engine) -> None:
    """A champion change from Slack sets the contact's `left_company_at`; the CRM's own field stays
    empty, and re-reading the contact (the overlap, or any CRM edit) must not clear it. A date the CRM
    does send wins."""
    now = datetime.now(UTC)
    aid, cid = keys.account_key("salesforce", "001A"), keys.contact_key("salesforce", "003C")
    base = {"source": "salesforce", "is_deleted": False, "synced_at": now, "crm_modified_at": now}
    with unit_of_work(engine) as s:
        bulk_upsert(s, Account, [{**base, "id": aid, "crm_id": "001A", "name": "Acme"}], ("id",))
    row = {**base, "id": cid, "crm_id": "003C", "account_id": aid, "last_name": "X", "left_company_at": None}

    def sync(**changes: object) -> date | None:
        apply_page(engine, "salesforce", "Contact", Page(writes=[TableWrite(Contact, [{**row, **changes}])]))
        with unit_of_work(engine) as s:
            contact = s.get(Contact, cid)
            assert contact is not None
            return contact.left_company_at

    assert sync() is None
    with unit_of_work(engine) as s:  # what a champion change recorded in Slack does
        contact = s.get(Contact, cid)
        assert contact is not None
        contact.left_company_at = date(2026, 5, 1)
    assert sync() == date(2026, 5, 1)
    assert sync(left_company_at=date(2026, 4, 20)) == date(2026, 4, 20)


class SweepingStream(FakeStream):
    def reconcile(
        self, engine: Engine, *, before: datetime, keep: set[str], limit_fraction: float | None
    ) -> SweepResult:
        return sweep_unseen(
            engine, Account, self.source, before=before, keep=keep, limit_fraction=limit_fraction
        )


@pytest.mark.parametrize("error", [RateLimited("REQUEST_LIMIT_EXCEEDED", retry_after=60), None])
def test_only_a_full_run_that_reached_the_end_sweeps(engine: Engine, error: RateLimited | None) -> None:
    """A run stopped by a limit has not read everything: what it did not reach is not deleted."""
    with unit_of_work(engine) as session:  # a record the CRM no longer returns, synced long ago
        stale = {**_rows(99, 1)[0], "synced_at": datetime(2026, 1, 1, tzinfo=UTC)}
        bulk_upsert(session, Account, [stale], conflict_columns=("id",))
    result = run_stream(engine, SweepingStream(fail_before_page=2 if error else None, error=error), full=True)
    with unit_of_work(engine) as session:
        gone = session.get(Account, stale["id"])
        assert gone is not None and gone.is_deleted is (error is None)
    assert result.records_deleted == (0 if error else 1)


def test_a_run_keeps_what_stopped_it_ahead_of_its_rejected_records(engine: Engine) -> None:
    run_id = sync_repo.start_run(engine, "salesforce", "Account", "full")
    rejected = [{"record_id": f"001{i}", "field": "Industry", "error": "unknown value"} for i in range(250)]
    refusal = {"error": "the full sync did not see 40 of 100 live accounts rows", "kind": "sweep_refused"}
    sync_repo.finish_run(engine, run_id, status="partial", counts={}, errors=[*rejected, refusal])
    with unit_of_work(engine) as session:
        run = session.get(SyncRun, run_id)
        assert run is not None and len(run.errors) == 200
        assert run.errors[0] == refusal and run.errors[1] == rejected[0]
