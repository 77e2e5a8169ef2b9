"""Write-back to the HubSpot sandbox through the outbox: notes/tasks exactly once, label moves, parking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.writeback import HubSpotWriteBack
from connectors.writeback import CHAMPION_CHANGE, OUTCOME_ACTIVITY, drain_outbox
from sandbox.httpbase import Fault
from sandbox.hubspot import HubSpotSandbox
from store import outbox_repo
from store.models import OutboxItem
from store.uow import unit_of_work
from tests.hubspot.helpers import champion_and_peer, outcome_payload


def _notes_with_key(sandbox: HubSpotSandbox, object_type: str, key: str) -> list[int]:
    return [r.id for r in sandbox.records(object_type) if r.props.get("retainer_key") == key]


def test_completed_outcome_becomes_one_note_on_company_and_contact(
    hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    client = HubSpotWriteBack(calls)
    payload = outcome_payload(hubspot_sandbox)
    key = str(uuid.uuid4())
    first = client.send(OUTCOME_ACTIVITY, payload, key)
    again = client.send(OUTCOME_ACTIVITY, payload, key)
    assert first == again and _notes_with_key(hubspot_sandbox, "notes", key) == [int(first)]
    note = hubspot_sandbox.state.get("notes", int(first))
    assert note is not None and "&lt;b&gt;call&lt;/b&gt; &amp; review" in str(note.props["hs_note_body"])
    linked = hubspot_sandbox.state.associated("notes", [int(first)], "companies")[int(first)]
    assert list(linked) == [int(str(payload["account_crm_id"]))]
    assert hubspot_sandbox.state.associated("notes", [int(first)], "contacts")[int(first)]


def test_open_outcome_becomes_a_task(hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls) -> None:
    key = str(uuid.uuid4())
    payload = outcome_payload(hubspot_sandbox, "Not Started")
    record = HubSpotWriteBack(calls).send(OUTCOME_ACTIVITY, payload, key)
    task = hubspot_sandbox.state.get("tasks", int(record))
    assert task is not None and task.props["hs_task_status"] == "NOT_STARTED"
    assert _notes_with_key(hubspot_sandbox, "notes", key) == []


def test_a_lost_response_is_retried_without_a_duplicate(
    hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    # HubSpot applies the upsert but the connection drops before the answer arrives: the retry must find it.
    hubspot_sandbox.server.faults.add(Fault(kind="drop", count=1, path="batch/upsert"))
    key = str(uuid.uuid4())
    record = HubSpotWriteBack(calls).send(OUTCOME_ACTIVITY, outcome_payload(hubspot_sandbox), key)
    assert hubspot_sandbox.server.log.count("POST", "notes/batch/upsert") == 2
    assert _notes_with_key(hubspot_sandbox, "notes", key) == [int(record)]


def test_drain_sends_each_item_once_and_parks_refusals(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    with unit_of_work(engine) as s:
        outbox_repo.enqueue(
            s,
            idempotency_key=good,
            target="hubspot",
            kind=OUTCOME_ACTIVITY,
            payload=outcome_payload(hubspot_sandbox),
        )
        outbox_repo.enqueue(
            s,
            idempotency_key=bad,
            target="hubspot",
            kind=OUTCOME_ACTIVITY,
            payload=outcome_payload(hubspot_sandbox, account_crm_id="999999999"),
        )
    client = HubSpotWriteBack(calls)
    now = datetime.now(UTC)
    result = drain_outbox(engine, client, now)
    assert (result.sent, result.parked) == (1, 1)
    assert drain_outbox(engine, client, now).sent == 0
    with unit_of_work(engine) as s:
        items = {i.idempotency_key: i for i in s.scalars(select(OutboxItem))}
        assert items[good].state == "sent" and items[good].crm_record_id
        assert items[bad].state == "parked" and "999999999" in (items[bad].last_error or "")
    assert len(_notes_with_key(hubspot_sandbox, "notes", good)) == 1


def test_champion_change_moves_the_label(hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls) -> None:
    labels = sorted(hubspot_sandbox.role_labels())
    company, old, new = champion_and_peer(labels)
    payload = {
        "account_crm_id": str(company),
        "departed_contact_crm_id": str(old),
        "new_contact_crm_id": str(new),
        "role": "champion",
    }
    client = HubSpotWriteBack(calls)
    client.send(CHAMPION_CHANGE, payload, str(uuid.uuid4()))
    client.send(CHAMPION_CHANGE, payload, str(uuid.uuid4()))  # repeating converges to the same state
    champions = {c for a, c, r in hubspot_sandbox.role_labels() if a == company and r == "champion"}
    assert champions == {new}
    assert calls.stats.by_kind["labels"] == 1  # label definitions are read once per client
