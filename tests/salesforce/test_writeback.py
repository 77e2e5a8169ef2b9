"""Write-back to the sandbox through the real simple-salesforce: Tasks and contact roles, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.services.champions import record_champion_change
from connectors.errors import RecordRejected
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.streams import build_streams, sync_salesforce
from connectors.salesforce.writeback import SalesforceWriteBack
from connectors.writeback import CHAMPION_CHANGE, OUTCOME_ACTIVITY, drain_outbox
from plays.clock import FakeClock
from sandbox.httpbase import Fault
from sandbox.salesforce import SalesforceSandbox
from store import outbox_repo
from store.models import Contact, OutboxItem, StakeholderRole
from store.uow import unit_of_work
from tests.salesforce.conftest import FAST_RETRY, sf_config


def outcome(sandbox: SalesforceSandbox, **overrides: Any) -> dict[str, Any]:
    account = sandbox.records("Account")[0]
    contact = next(c for c in sandbox.records("Contact") if c["AccountId"] == account["Id"])
    return {
        "account_crm_id": account["Id"],
        "contact_crm_id": contact["Id"],
        "subject": "Usage decline play: <b>call</b> & follow-up",
        "body": "Called the champion; agreed a training session.",
        "status": "Completed",
        "activity_date": "2026-11-20",
        "outcome_id": "out-1",
        **overrides,
    }


def test_outcome_becomes_a_task_on_the_account(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    payload = outcome(sf_sandbox)
    task_id = SalesforceWriteBack(api).send(OUTCOME_ACTIVITY, payload, "outcome:out-1")
    (task,) = sf_sandbox.records("Task")
    assert task["Id"] == task_id
    assert (task["WhatId"], task["WhoId"]) == (payload["account_crm_id"], payload["contact_crm_id"])
    assert (task["Subject"], task["Status"], task["ActivityDate"]) == (
        payload["subject"],
        "Completed",
        "2026-11-20",
    )
    assert task["Retainer_Key__c"] == "outcome:out-1"


def test_sending_again_never_duplicates(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    client = SalesforceWriteBack(api)
    first = client.send(OUTCOME_ACTIVITY, outcome(sf_sandbox), "outcome:out-1")
    second = client.send(OUTCOME_ACTIVITY, outcome(sf_sandbox, body="edited"), "outcome:out-1")
    assert first == second and len(sf_sandbox.records("Task")) == 1
    assert sf_sandbox.records("Task")[0]["Description"] == "edited"


def test_a_lost_reply_is_repaired_by_the_retry(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    """The upsert is applied but its reply is lost (dropped mid-body): the retry finds the same Task."""
    sf_sandbox.server.faults.add(Fault(kind="drop", count=1, path="/sobjects/Task/Retainer_Key__c/"))
    SalesforceWriteBack(api).send(OUTCOME_ACTIVITY, outcome(sf_sandbox), "outcome:out-1")
    assert sf_sandbox.server.log.count("PATCH", "/sobjects/Task/Retainer_Key__c/") == 2
    assert len(sf_sandbox.records("Task")) == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"account_crm_id": "001000000000000AAA"}, "INVALID_CROSS_REFERENCE_KEY"),
        ({"account_crm_id": "'; DROP"}, "MALFORMED_ID"),
        ({"status": "Sort of done"}, None),
    ],
)
def test_permanent_refusals_raise_record_rejected(
    sf_sandbox: SalesforceSandbox, api: SalesforceApi, overrides: dict[str, Any], code: str | None
) -> None:
    if code is None:  # an unknown picklist value is accepted by Salesforce (unrestricted picklist)
        SalesforceWriteBack(api).send(OUTCOME_ACTIVITY, outcome(sf_sandbox, **overrides), "k")
        return
    with pytest.raises(RecordRejected) as err:
        SalesforceWriteBack(api).send(OUTCOME_ACTIVITY, outcome(sf_sandbox, **overrides), "k")
    assert err.value.code == code


def _champion(sandbox: SalesforceSandbox) -> tuple[dict[str, Any], str, str]:
    """A live champion role on an account with another contact to take it over."""
    opportunities = {o["Id"]: o["AccountId"] for o in sandbox.records("Opportunity")}
    for role in sandbox.records("OpportunityContactRole"):
        account = opportunities[role["OpportunityId"]]
        others = [
            c["Id"]
            for c in sandbox.records("Contact")
            if c["AccountId"] == account and c["Id"] != role["ContactId"]
        ]
        if role["Role"] == "Influencer" and others:
            return role, account, others[0]
    raise AssertionError("the portfolio has no account with a champion and another contact")


def champion_change(sandbox: SalesforceSandbox) -> tuple[dict[str, Any], dict[str, Any]]:
    """A live champion role, and the payload handing it to another contact of its account."""
    role, account, successor = _champion(sandbox)
    payload = {
        "account_crm_id": account,
        "departed_contact_crm_id": role["ContactId"],
        "new_contact_crm_id": successor,
        "role": "champion",
    }
    return role, payload


def test_champion_change_moves_the_contact_role(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    role, payload = champion_change(sf_sandbox)
    successor = payload["new_contact_crm_id"]
    client = SalesforceWriteBack(api)
    new_id = client.send(CHAMPION_CHANGE, payload, "champion:1")
    again = client.send(CHAMPION_CHANGE, payload, "champion:1")
    live = [
        r
        for r in sf_sandbox.records("OpportunityContactRole")
        if r["Role"] == "Influencer" and r["OpportunityId"] == role["OpportunityId"]
    ]
    assert [r["ContactId"] for r in live] == [successor]
    assert new_id == again == live[0]["Id"] and live[0]["Retainer_Key__c"] == "champion:1"
    assert role["Id"] in {
        r["Id"] for r in sf_sandbox.records("OpportunityContactRole", include_deleted=True) if r["IsDeleted"]
    }
    assert (
        sf_sandbox.server.log.count("DELETE", "/composite/sobjects") == 1
    )  # the retry found nothing to remove


def test_champion_left_without_a_successor(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    role, account, _ = _champion(sf_sandbox)
    payload = {"account_crm_id": account, "departed_contact_crm_id": role["ContactId"], "role": "champion"}
    assert SalesforceWriteBack(api).send(CHAMPION_CHANGE, payload, "champion:2") == role["ContactId"]
    assert role["Id"] not in {r["Id"] for r in sf_sandbox.records("OpportunityContactRole")}


def test_drain_sends_parks_and_never_duplicates(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    with unit_of_work(engine) as session:
        for key, payload in (
            ("outcome:a", outcome(sf_sandbox)),
            ("outcome:bad", outcome(sf_sandbox, account_crm_id="001000000000000AAA")),
        ):
            outbox_repo.enqueue(
                session, idempotency_key=key, target="salesforce", kind=OUTCOME_ACTIVITY, payload=payload
            )
    result = drain_outbox(engine, SalesforceWriteBack(api), datetime.now(UTC))
    assert (result.sent, result.parked) == (1, 1)
    with engine.connect() as conn:
        states = dict(conn.execute(select(OutboxItem.idempotency_key, OutboxItem.state)).all())
        crm_id = conn.execute(
            select(OutboxItem.crm_record_id).where(OutboxItem.idempotency_key == "outcome:a")
        ).scalar_one()
    assert states == {"outcome:a": "sent", "outcome:bad": "parked"}
    assert [t["Id"] for t in sf_sandbox.records("Task")] == [crm_id]
    assert drain_outbox(engine, SalesforceWriteBack(api), datetime.now(UTC)).sent == 0


def _champion_with_two_others(engine: Engine) -> tuple[str, str, str]:
    """(account, live champion, another contact) from the synced store."""
    with engine.connect() as conn:
        roles = conn.execute(
            select(StakeholderRole.account_id, StakeholderRole.contact_id).where(
                StakeholderRole.role == "champion", StakeholderRole.valid_to.is_(None)
            )
        ).all()
        for account_id, champion in roles:
            others = (
                conn.execute(
                    select(Contact.id).where(
                        Contact.account_id == account_id, Contact.id != champion, ~Contact.is_deleted
                    )
                )
                .scalars()
                .all()
            )
            if others:
                return account_id, champion, others[0]
    raise AssertionError("the portfolio has no account with a champion and another contact")


def test_a_second_champion_change_on_the_same_day_is_written_back_too(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    """ "No successor yet", then "the successor is Carol" the same day: both reach Salesforce, and a
    redelivered submission of the second still queues one write-back."""
    sync_salesforce(engine, build_streams(api))
    account_id, departed, carol = _champion_with_two_others(engine)
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    change = partial(record_champion_change, engine, account_id, departed, actor="U1", clock=clock)
    first = change(None, request_id="r1")
    clock.advance(minutes=10)
    second = change(carol, request_id="r2")
    change(carol, request_id="r2")  # the same delivery again
    change(carol, request_id="r3")  # the same change submitted again
    assert first.changed and second.changed and first.outbox_key != second.outbox_key
    with engine.connect() as conn:
        queued = conn.execute(
            select(OutboxItem.idempotency_key).where(OutboxItem.kind == CHAMPION_CHANGE)
        ).scalars()
        assert sorted(queued) == sorted([first.outbox_key, second.outbox_key])
        crm_ids = {id_: crm_id for id_, crm_id in conn.execute(select(Contact.id, Contact.crm_id))}
    carol_crm, departed_crm = crm_ids[carol], crm_ids[departed]

    result = drain_outbox(engine, SalesforceWriteBack(api), datetime.now(UTC))
    assert (result.sent, result.failed, result.parked) == (2, 0, 0)
    live = [r for r in sf_sandbox.records("OpportunityContactRole") if r["Role"] == "Influencer"]
    assert departed_crm not in {r["ContactId"] for r in live}
    assert [r["Retainer_Key__c"] for r in live if r["ContactId"] == carol_crm] == [second.outbox_key]


def _enqueue_outcomes(engine: Engine, sandbox: SalesforceSandbox, *keys: str) -> None:
    with unit_of_work(engine) as session:
        for key in keys:
            outbox_repo.enqueue(
                session,
                idempotency_key=key,
                target="salesforce",
                kind=OUTCOME_ACTIVITY,
                payload=outcome(sandbox, outcome_id=key),
            )


def _attempts(engine: Engine) -> dict[str, tuple[str, int, str | None]]:
    """key -> (state, attempts, last error) of every outbox item."""
    columns = (OutboxItem.idempotency_key, OutboxItem.state, OutboxItem.attempts, OutboxItem.last_error)
    with engine.connect() as conn:
        return {
            key: (state, attempts, error) for key, state, attempts, error in conn.execute(select(*columns))
        }


def test_an_exhausted_daily_limit_parks_nothing(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    """A day of drains against an org past its API limit charges no attempt to the item it was sending:
    the CRM never refused it. Once the limit resets, everything is sent."""
    _enqueue_outcomes(engine, sf_sandbox, "outcome:a", "outcome:b")
    sf_sandbox.set_daily_limit(0)
    now = datetime.now(UTC)
    for _ in range(outbox_repo.MAX_ATTEMPTS + 4):
        now += timedelta(hours=2)  # past any backoff
        result = drain_outbox(engine, SalesforceWriteBack(api), now)
        assert result.stopped and "REQUEST_LIMIT_EXCEEDED" in result.stopped
        assert (result.sent, result.parked) == (0, 0)
    assert sf_sandbox.server.log.count("PATCH", "/sobjects/Task/", status=403) == outbox_repo.MAX_ATTEMPTS + 4
    states = _attempts(engine)
    state, attempts, error = states["outcome:a"]
    assert (state, attempts) == ("failed", 0) and "REQUEST_LIMIT_EXCEEDED" in str(error)
    assert states["outcome:b"] == ("pending", 0, None)
    with engine.connect() as conn:
        due = conn.execute(
            select(OutboxItem.next_attempt_at).where(OutboxItem.idempotency_key == "outcome:a")
        ).scalar_one()
    assert now < due <= now + timedelta(minutes=1)  # rescheduled by the usual first backoff

    sf_sandbox.set_daily_limit(1_000_000)
    assert drain_outbox(engine, SalesforceWriteBack(api), due).sent == 2
    assert {k: v[:2] for k, v in _attempts(engine).items()} == {
        "outcome:a": ("sent", 1),
        "outcome:b": ("sent", 1),
    }


def test_a_refused_session_parks_nothing(engine: Engine, sf_sandbox: SalesforceSandbox) -> None:
    """Authentication failing (no way to re-authenticate here) stops the drain without charging the item."""
    api = SalesforceApi(sf_config(sf_sandbox, connected_app=False), retry=FAST_RETRY)
    _enqueue_outcomes(engine, sf_sandbox, "outcome:a")
    sf_sandbox.expire_sessions()
    now = datetime.now(UTC)
    for _ in range(outbox_repo.MAX_ATTEMPTS + 1):
        now += timedelta(hours=2)
        assert drain_outbox(engine, SalesforceWriteBack(api), now).stopped
    state, attempts, error = _attempts(engine)["outcome:a"]
    assert (state, attempts) == ("failed", 0) and "INVALID_SESSION_ID" in str(error)
