"""`/sync` and the admin CLI's data: sync status, outbox view and retry, activity log, audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.services.admin import activity_log, outbox_view, retry_outbox, sync_status
from bot.services.audit_trail import AccountNotFound, audit_trail, resolve_account
from store import outbox_repo
from store.models import Account, AlertEvent, OutboxItem, SyncRun
from store.uow import unit_of_work
from tests.surface_data import NOW, alert, load_book

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def test_a_new_install_has_empty_admin_views(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert sync_status(session) == ()
        view = outbox_view(session)
        assert view.items == () and all(n == 0 for _, n in view.counts)
        assert activity_log(session) == ()
        assert audit_trail(session) == ()
        assert retry_outbox(session).requeued == 0


def _run(
    source: str, stream: str, status: str, start: datetime, seconds: float | None, **kw: object
) -> SyncRun:
    return SyncRun(
        source=source,
        stream=stream,
        status=status,
        started_at=start,
        finished_at=start + timedelta(seconds=seconds) if seconds is not None else None,
        **kw,
    )


def test_sync_status_shows_the_last_run_per_stream(engine: Engine) -> None:
    errors = [{"error": f"bad record {i}", "record_id": f"r{i}"} for i in range(5)]
    with unit_of_work(engine) as session:
        session.add_all(
            [
                _run("salesforce", "Account", "ok", T0, 12.5, records_read=100, records_upserted=100,
                     errors=[]),
                _run("salesforce", "Account", "partial", T0 + timedelta(hours=1), 3, records_read=10,
                     records_upserted=5, records_rejected=5, errors=errors),
                _run("salesforce", "Contact", "failed", T0, 1, errors=[{"error": "INVALID_SESSION_ID"}]),
                _run("hubspot", "companies", "running", T0 + timedelta(hours=2), None, errors=[]),
            ]
        )  # fmt: skip
    with unit_of_work(engine) as session:
        status = {(s.source, s.stream): s for s in sync_status(session)}
    assert list(status) == [("hubspot", "companies"), ("salesforce", "Account"), ("salesforce", "Contact")]
    account = status[("salesforce", "Account")]
    assert (account.status, account.records_upserted, account.records_rejected) == ("partial", 5, 5)
    assert account.duration_s == 3 and account.error_count == 5 and len(account.errors) == 3
    assert account.last_ok_at == T0 + timedelta(seconds=12.5)
    contact = status[("salesforce", "Contact")]
    assert contact.errors == ({"error": "INVALID_SESSION_ID"},) and contact.last_ok_at is None
    running = status[("hubspot", "companies")]
    assert running.finished_at is None and running.duration_s is None


def _outbox(engine: Engine, account_ids: list[str]) -> dict[str, str]:
    """Four write-backs: one sent, one failed, one parked, one pending. Returns state -> id."""
    with unit_of_work(engine) as session:
        for n, state in enumerate(("sent", "failed", "parked", "pending")):
            outbox_repo.enqueue(
                session,
                idempotency_key=f"key-{state}",
                target="salesforce" if n % 2 == 0 else "hubspot",
                kind="outcome_activity",
                payload={"n": n},
                account_id=account_ids[n % len(account_ids)],
            )
        session.flush()
        items = {i.idempotency_key.removeprefix("key-"): i for i in session.query(OutboxItem)}
        outbox_repo.mark_sent(items["sent"], "00T000000000001", NOW - timedelta(days=1))
        outbox_repo.mark_failed(items["failed"], "UNABLE_TO_LOCK_ROW: try again", NOW)
        outbox_repo.mark_failed(
            items["parked"], "FIELD_CUSTOM_VALIDATION_EXCEPTION: bad", NOW, permanent=True
        )
        return {state: item.id for state, item in items.items()}


def test_outbox_view_lists_waiting_items_with_the_crms_error(engine: Engine) -> None:
    accounts = load_book(engine, accounts=3)
    ids = _outbox(engine, [a.id for a in accounts])
    with unit_of_work(engine) as session:
        view = outbox_view(session)
        parked = outbox_view(session, states=["parked"])
        with pytest.raises(ValueError, match="unknown outbox state"):
            outbox_view(session, states=["lost"])
    assert dict(view.counts) == {"pending": 1, "sent": 1, "failed": 1, "parked": 1}
    assert {line.state for line in view.items} == {"pending", "failed", "parked"}
    failed = next(line for line in view.items if line.state == "failed")
    assert failed.last_error == "UNABLE_TO_LOCK_ROW: try again" and failed.attempts == 1
    assert failed.account_name == accounts[1].name
    assert [line.id for line in parked.items] == [ids["parked"]]
    assert parked.items[0].last_error is not None and "FIELD_CUSTOM_VALIDATION" in parked.items[0].last_error


def test_retry_requeues_failed_and_parked_items_only(engine: Engine) -> None:
    accounts = load_book(engine, accounts=3)
    ids = _outbox(engine, [a.id for a in accounts])
    with unit_of_work(engine) as session:
        result = retry_outbox(session, [ids["failed"], ids["sent"], "no-such-id"])
    assert result.requeued == 1 and result.not_retryable == (ids["sent"], "no-such-id")
    with unit_of_work(engine) as session:
        assert outbox_view(session).count("pending") == 2
        assert outbox_view(session).count("parked") == 1
        assert retry_outbox(session, ["no-such-id"]).requeued == 0
        assert retry_outbox(session).requeued == 1  # everything left: the parked one
    with unit_of_work(engine) as session:
        view = outbox_view(session)
        assert (view.count("pending"), view.count("parked"), view.count("sent")) == (3, 0, 1)


def test_activity_log_and_audit_trail_filter_by_account_and_date(engine: Engine) -> None:
    accounts = load_book(engine, accounts=3)
    a, b = accounts[0], accounts[1]
    with unit_of_work(engine) as session:
        for n, (acc, day) in enumerate(
            [(a, date(2026, 10, 1)), (a, date(2026, 10, 20)), (b, date(2026, 10, 20))]
        ):
            outbox_repo.enqueue(
                session, idempotency_key=f"k{n}", target="salesforce", kind="outcome_activity",
                payload={}, account_id=acc.id,
            )  # fmt: skip
            session.flush()
            item = session.get(OutboxItem, f"k{n}")
            assert item is not None
            outbox_repo.mark_sent(item, f"00T{n}", datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC))
        fired = alert(a.id, "usage_decline", datetime(2026, 10, 19, 9, tzinfo=UTC))
        session.add(fired)
        session.flush()
        session.add(
            AlertEvent(alert_id=fired.id, at=datetime(2026, 10, 19, 10, tzinfo=UTC), actor="A1",
                       action="claim", from_state="firing", to_state="claimed", via="slack")
        )  # fmt: skip
    with unit_of_work(engine) as session:
        assert [line.crm_record_id for line in activity_log(session)] == ["00T1", "00T2", "00T0"]
        only_a = activity_log(session, account_ids=[a.id], since=date(2026, 10, 2), until=date(2026, 10, 20))
        assert [(line.crm_record_id, line.account_name) for line in only_a] == [("00T1", a.name)]
        trail = audit_trail(session, account_ids=[a.id], since=date(2026, 10, 15))
        assert [(e.kind, e.action, e.actor) for e in trail] == [
            ("crm_write", "outcome_activity", "bot"),
            ("alert", "claim", "A1"),
        ]
        assert trail[1].detail == "usage_decline: firing -> claimed via slack"
        assert audit_trail(session, until=date(2026, 9, 30)) == ()


def test_resolve_account_names_the_candidates_when_ambiguous(engine: Engine) -> None:
    accounts = load_book(engine, accounts=3)
    with unit_of_work(engine) as session:
        assert resolve_account(session, accounts[0].crm_id) == (accounts[0].id, accounts[0].name)
        with pytest.raises(AccountNotFound, match="no account matches"):
            resolve_account(session, "zzzz-nothing")
        for n, name in enumerate(("Acme One", "Acme Two")):
            session.add(Account(id=f"acme-{n}", source="hubspot", crm_id=f"90{n}", name=name, extra={}))
        session.flush()
        with pytest.raises(AccountNotFound, match=r"several accounts: Acme One \(hubspot 900\); Acme Two"):
            resolve_account(session, "acme")
