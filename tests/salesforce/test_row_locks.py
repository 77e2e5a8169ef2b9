"""A record another transaction holds (400 UNABLE_TO_LOCK_ROW): the sandbox refuses writes that touch it,
and the connector tries the write again instead of parking it for a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from sqlalchemy import Engine, select

from connectors.errors import TransientError
from connectors.salesforce.api import RetryPolicy, SalesforceApi
from connectors.salesforce.writeback import SalesforceWriteBack
from connectors.writeback import CHAMPION_CHANGE, OUTCOME_ACTIVITY, drain_outbox
from sandbox.salesforce import SalesforceSandbox
from store.models import OutboxItem
from tests.salesforce.conftest import FAST_RETRY, sf_config
from tests.salesforce.test_writeback import _enqueue_outcomes, champion_change, outcome


def _refused(call: object) -> str:
    assert callable(call)
    with pytest.raises(SalesforceMalformedRequest) as err:
        call()
    assert err.value.status == 400
    return str(err.value.content[0]["errorCode"])


def test_writes_touching_a_held_record_are_refused_until_it_is_released(
    sf_sandbox: SalesforceSandbox, sf: Salesforce
) -> None:
    account = sf_sandbox.records("Account")[0]
    contact = next(c for c in sf_sandbox.records("Contact") if c["AccountId"] == account["Id"])
    sf_sandbox.lock_record(account["Id"], refusals=3)
    task = {"Subject": "Call", "Status": "Completed", "WhatId": account["Id"]}
    assert _refused(lambda: sf.Account.update(account["Id"], {"Name": "Locked Co"})) == "UNABLE_TO_LOCK_ROW"
    assert _refused(lambda: sf.Task.create(task)) == "UNABLE_TO_LOCK_ROW"  # a child's parent is locked too
    assert _refused(lambda: sf.Account.delete(account["Id"])) == "UNABLE_TO_LOCK_ROW"
    sf.Contact.update(contact["Id"], {"Title": "VP"})  # other records are free all along
    assert sf_sandbox.records("Task") == [] and sf_sandbox.records("Account")[0]["Name"] == account["Name"]
    assert sf.Task.create(task)["success"] is True  # released
    assert len(sf_sandbox.records("Task")) == 1


def test_a_held_record_is_retried_not_rejected(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    account = sf_sandbox.records("Account")[0]["Id"]
    sf_sandbox.lock_record(account, refusals=2)
    task_id = SalesforceWriteBack(api).send(OUTCOME_ACTIVITY, outcome(sf_sandbox), "outcome:locked")
    assert [t["Id"] for t in sf_sandbox.records("Task")] == [task_id]
    assert sf_sandbox.server.log.count("PATCH", "/sobjects/Task/", status=400) == 2


def test_a_record_held_past_the_retries_waits_in_the_outbox_and_is_sent_once(
    engine: Engine, sf_sandbox: SalesforceSandbox
) -> None:
    api = SalesforceApi(sf_config(sf_sandbox), retry=RetryPolicy(attempts=2, wait_multiplier=0.01))
    _enqueue_outcomes(engine, sf_sandbox, "outcome:held")
    sf_sandbox.lock_record(sf_sandbox.records("Account")[0]["Id"], refusals=3)
    now = datetime.now(UTC)
    first = drain_outbox(engine, SalesforceWriteBack(api), now)
    assert (first.sent, first.parked) == (0, 0)
    with engine.connect() as conn:
        item = conn.execute(select(OutboxItem.state, OutboxItem.attempts, OutboxItem.last_error)).one()
    assert (item.state, item.attempts) == ("failed", 1) and "UNABLE_TO_LOCK_ROW" in item.last_error
    assert drain_outbox(engine, SalesforceWriteBack(api), now + timedelta(hours=1)).sent == 1
    assert len(sf_sandbox.records("Task")) == 1


def test_a_held_contact_role_fails_the_champion_change_for_now_and_the_retry_completes_it(
    sf_sandbox: SalesforceSandbox,
) -> None:
    api = SalesforceApi(sf_config(sf_sandbox), retry=FAST_RETRY)
    role, payload = champion_change(sf_sandbox)
    sf_sandbox.lock_record(role["Id"], refusals=1)  # the departed champion's role, deleted in a Collection
    with pytest.raises(TransientError, match="UNABLE_TO_LOCK_ROW"):
        SalesforceWriteBack(api).send(CHAMPION_CHANGE, payload, "champion:held")
    assert role["Id"] in {r["Id"] for r in sf_sandbox.records("OpportunityContactRole")}
    new_id = SalesforceWriteBack(api).send(CHAMPION_CHANGE, payload, "champion:held")
    live = [
        r for r in sf_sandbox.records("OpportunityContactRole") if r["OpportunityId"] == role["OpportunityId"]
    ]
    assert role["Id"] not in {r["Id"] for r in live}
    assert [r["Id"] for r in live if r["Retainer_Key__c"] == "champion:held"] == [new_id]
