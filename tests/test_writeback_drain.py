"""The outbox drain loop with an in-memory CRM double (the real CRM clients have contract tests)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from connectors.errors import AuthError, RateLimited, RecordRejected, TransientError
from connectors.writeback import CLAIM_LEASE, OUTCOME_ACTIVITY, drain_outbox
from store import outbox_repo
from store.models import OutboxItem
from store.uow import unit_of_work


class RecordingCrm:
    target = "salesforce"

    def __init__(self, errors: dict[str, Exception] | None = None) -> None:
        self.records: dict[str, Mapping[str, Any]] = {}
        self.errors = errors or {}

    def send(self, kind: str, payload: Mapping[str, Any], idempotency_key: str) -> str:
        if idempotency_key in self.errors:
            raise self.errors.pop(idempotency_key)
        self.records.setdefault(idempotency_key, payload)
        return f"00T{len(self.records):015d}"


def _enqueue(engine: Engine, *keys: str, target: str = "salesforce") -> None:
    with unit_of_work(engine) as session:
        for key in keys:
            outbox_repo.enqueue(
                session,
                idempotency_key=key,
                target=target,
                kind=OUTCOME_ACTIVITY,
                payload={"account_crm_id": "001A", "subject": key},
            )


def _states(engine: Engine) -> dict[str, str]:
    with unit_of_work(engine) as session:
        return {i.idempotency_key: i.state for i in session.scalars(select(OutboxItem))}


def test_drain_sends_due_items_once(engine: Engine) -> None:
    _enqueue(engine, "k1", "k2")
    _enqueue(engine, "hs-1", target="hubspot")
    crm = RecordingCrm()
    result = drain_outbox(engine, crm, datetime.now(UTC))
    assert result.sent == 2
    assert set(crm.records) == {"k1", "k2"}
    assert _states(engine) == {"k1": "sent", "k2": "sent", "hs-1": "pending"}
    assert drain_outbox(engine, crm, datetime.now(UTC)).sent == 0


def test_rejected_items_park_transient_failures_retry_later(engine: Engine) -> None:
    _enqueue(engine, "bad", "flaky", "good")
    crm = RecordingCrm({"bad": RecordRejected("INVALID_FIELD"), "flaky": TransientError("503")})
    result = drain_outbox(engine, crm, datetime.now(UTC))
    assert (result.sent, result.failed, result.parked) == (1, 1, 1)
    assert _states(engine) == {"bad": "parked", "flaky": "failed", "good": "sent"}
    with unit_of_work(engine) as session:
        flaky = session.scalars(select(OutboxItem).where(OutboxItem.idempotency_key == "flaky")).one()
        assert flaky.last_error == "503"
        due_at = flaky.next_attempt_at
    assert drain_outbox(engine, crm, due_at).sent == 1
    assert _states(engine)["flaky"] == "sent"


def test_auth_error_stops_the_drain(engine: Engine) -> None:
    _enqueue(engine, "a", "b")
    crm = RecordingCrm({"a": AuthError("INVALID_SESSION_ID")})
    result = drain_outbox(engine, crm, datetime.now(UTC))
    assert result.stopped == "INVALID_SESSION_ID"
    assert crm.records == {}
    assert _states(engine) == {"a": "failed", "b": "pending"}


def test_a_rate_limit_with_retry_after_reschedules_without_charging_an_attempt(engine: Engine) -> None:
    _enqueue(engine, "a", "b")
    now = datetime.now(UTC)
    crm = RecordingCrm({"a": RateLimited("ten-second limit", retry_after=120)})
    result = drain_outbox(engine, crm, now)
    assert (result.sent, result.failed, result.parked, result.stopped) == (0, 0, 0, "ten-second limit")
    with unit_of_work(engine) as session:
        a = session.scalars(select(OutboxItem).where(OutboxItem.idempotency_key == "a")).one()
        assert (a.state, a.attempts, a.last_error) == ("failed", 0, "ten-second limit")
        assert a.next_attempt_at == now + timedelta(seconds=120)
    assert drain_outbox(engine, crm, now + timedelta(seconds=119)).sent == 1  # "b" only
    assert drain_outbox(engine, crm, now + timedelta(seconds=120)).sent == 1
    assert _states(engine) == {"a": "sent", "b": "sent"}


class MeetingCrm(RecordingCrm):
    """A CRM where two senders of one item would meet: each send waits (briefly) for a second one."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[str] = []
        self.meet = threading.Barrier(2, timeout=1)

    def send(self, kind: str, payload: Mapping[str, Any], idempotency_key: str) -> str:
        self.sends.append(idempotency_key)
        with contextlib.suppress(threading.BrokenBarrierError):
            self.meet.wait()
        return super().send(kind, payload, idempotency_key)


def test_two_drains_at_once_send_each_item_once(engine: Engine) -> None:
    """A second drain (another process during failover, a CLI drain) racing the scheduler's: the claim
    lets one of them send the item, and it ends `sent` with the CRM's id."""
    _enqueue(engine, "k1")
    crm, now = MeetingCrm(), datetime.now(UTC)
    drains = [threading.Thread(target=drain_outbox, args=(engine, crm, now)) for _ in range(2)]
    for d in drains:
        d.start()
    for d in drains:
        d.join(10)
    assert crm.sends == ["k1"] and _states(engine) == {"k1": "sent"}


def test_a_claimed_item_whose_drain_died_is_sent_after_the_lease(engine: Engine) -> None:
    _enqueue(engine, "k1")
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        item_id = session.scalars(select(OutboxItem.id)).one()
        assert outbox_repo.claim(session, item_id, now, CLAIM_LEASE)
    crm = RecordingCrm()
    assert drain_outbox(engine, crm, now + timedelta(minutes=1)).sent == 0  # still claimed
    assert drain_outbox(engine, crm, now + CLAIM_LEASE).sent == 1
