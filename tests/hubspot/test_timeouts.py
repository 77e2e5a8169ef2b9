"""Timeouts: hubspot-api-client sends no timeout of its own, so every connector call carries one, and a
request HubSpot never answers is retried instead of holding the sync forever."""

from __future__ import annotations

import time
import uuid

import pytest
from hubspot import HubSpot

from connectors.errors import TransientError
from connectors.hubspot.calls import HubSpotCalls, RetryPolicy
from connectors.hubspot.writeback import HubSpotWriteBack
from connectors.writeback import OUTCOME_ACTIVITY
from sandbox.httpbase import Fault
from sandbox.hubspot import HubSpotSandbox
from tests.hubspot.helpers import outcome_payload


def test_a_request_hubspot_never_answers_times_out_and_is_retried(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    calls = HubSpotCalls(sdk, retry=RetryPolicy(attempts=3, initial=0.01, maximum=0.05), timeout=0.5)
    hubspot_sandbox.server.faults.add(Fault(kind="delay", seconds=3.0, count=1, path="objects/companies"))
    started = time.monotonic()
    assert calls.list_page("companies", after=None, properties=["name"], limit=1).results
    assert calls.stats.retries == 1  # without a timeout the call waits the delay out and never retries
    assert time.monotonic() - started < 2.5
    assert hubspot_sandbox.server.faults.fired == [("delay", "GET", "/crm/v3/objects/companies")]


def test_a_timeout_on_every_attempt_is_a_transient_error_naming_it(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    calls = HubSpotCalls(sdk, retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.05), timeout=0.3)
    hubspot_sandbox.server.faults.add(Fault(kind="delay", seconds=1.0, count=2))
    with pytest.raises(TransientError, match=r"HubSpot gave no answer within 0\.3 s"):
        calls.list_page("companies", after=None, properties=["name"], limit=1)


def test_a_write_answered_too_late_is_sent_again_and_stored_once(
    hubspot_sandbox: HubSpotSandbox, sdk: HubSpot
) -> None:
    # HubSpot applies the first upsert only after the connector gave up on it, while the retry is
    # being applied: the unique key makes both land on one note.
    calls = HubSpotCalls(sdk, retry=RetryPolicy(attempts=3, initial=0.01, maximum=0.05), timeout=0.5)
    hubspot_sandbox.server.faults.add(Fault(kind="delay", seconds=1.0, count=1, path="batch/upsert"))
    key = str(uuid.uuid4())
    record = HubSpotWriteBack(calls).send(OUTCOME_ACTIVITY, outcome_payload(hubspot_sandbox), key)
    time.sleep(1.0)  # the first request is applied now
    assert hubspot_sandbox.server.log.count("POST", "notes/batch/upsert") == 2
    notes = [r.id for r in hubspot_sandbox.records("notes") if r.props.get("retainer_key") == key]
    assert notes == [int(record)]
