"""Crash-resume (SIGKILL mid-sync and mid-write-back, then rerun) and sync under 10% injected faults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from connectors.hubspot.calls import HubSpotCalls, RetryPolicy
from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from connectors.writeback import OUTCOME_ACTIVITY
from sandbox.httpbase import Fault
from sandbox.hubspot import HubSpotSandbox, start_hubspot
from sandbox.portfolio import generate
from store import outbox_repo
from store.models import OutboxItem, SyncRun
from store.uow import unit_of_work
from tests.hubspot.helpers import sandbox_state, store_state

ROOT = Path(__file__).resolve().parents[2]


def _worker(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hubspot.worker", *args], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )


def _kill_after(proc: subprocess.Popen[bytes], sandbox: HubSpotSandbox, requests: int) -> None:
    deadline = time.monotonic() + 60
    while len(sandbox.server.log.entries()) < requests:
        assert proc.poll() is None, (
            f"the worker ended before it was killed: {proc.stderr.read() if proc.stderr else ''!r}"
        )
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _run(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()


@pytest.fixture
def slow_portal(tmp_path: Path):  # type: ignore[no-untyped-def]
    sandbox = start_hubspot(generate(80, seed=3), state_dir=tmp_path / "portal", rate_limit=(30, 1.0))
    yield sandbox
    sandbox.stop()


@pytest.mark.slow
def test_sigkill_mid_sync_then_rerun_equals_the_portal(
    db_url: str, engine: Engine, slow_portal: HubSpotSandbox
) -> None:
    info = slow_portal.info()
    args = ("sync", db_url, info["host"], info["access_token"], "20")
    _kill_after(_worker(*args), slow_portal, requests=35)
    with unit_of_work(engine) as s:
        crashed = s.scalars(select(SyncRun).where(SyncRun.status == "running")).all()
        assert len(crashed) == 1  # killed mid-stream: the run never finished
    assert store_state(engine) != sandbox_state(slow_portal)
    slow_portal.server.log.clear()
    _run(_worker(*args))
    assert store_state(engine) == sandbox_state(slow_portal)
    # Resumed from the committed cursor: the rerun did not start the interrupted stream over.
    first_pages = [
        e for e in slow_portal.server.log.entries() if e.method == "GET" and "after" not in e.query
    ]
    assert len(first_pages) < 10


@pytest.mark.slow
def test_sigkill_mid_write_back_then_rerun_writes_each_outcome_once(
    db_url: str, engine: Engine, slow_portal: HubSpotSandbox
) -> None:
    company, contact = slow_portal.ids("companies")[0], slow_portal.ids("contacts")[0]
    keys = [str(uuid.uuid4()) for _ in range(25)]
    with unit_of_work(engine) as s:
        for i, key in enumerate(keys):
            outbox_repo.enqueue(
                s,
                idempotency_key=key,
                target="hubspot",
                kind=OUTCOME_ACTIVITY,
                payload={
                    "account_crm_id": str(company),
                    "contact_crm_id": str(contact),
                    "subject": f"Outcome {i}",
                    "body": "done",
                    "status": "Completed",
                    "activity_date": "2026-11-20",
                    "outcome_id": key,
                },
            )
    info = slow_portal.info()
    args = ("drain", db_url, info["host"], info["access_token"])
    _kill_after(_worker(*args), slow_portal, requests=31)  # mid-item: after an upsert, before its links
    with unit_of_work(engine) as s:  # the killed drain's claim lease runs out (as five minutes later)
        s.execute(update(OutboxItem).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
    _run(_worker(*args))
    notes = [r.props.get("retainer_key") for r in slow_portal.records("notes")]
    assert sorted(notes) == sorted(keys)  # every outcome exactly once
    with unit_of_work(engine) as s:
        assert {i.state for i in s.scalars(select(OutboxItem))} == {"sent"}
    for note in slow_portal.ids("notes"):
        assert list(slow_portal.state.associated("notes", [note], "companies")[note]) == [company]


def test_ten_percent_faults_reach_the_same_state(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, sdk
) -> None:  # type: ignore[no-untyped-def]
    faults = hubspot_sandbox.server.faults
    faults.add(Fault(kind="status", status=503, rate=0.04))
    faults.add(Fault(kind="status", status=500, rate=0.02))
    faults.add(Fault(kind="status", status=429, rate=0.02))
    faults.add(Fault(kind="drop", rate=0.02))
    calls = HubSpotCalls(sdk, retry=RetryPolicy(attempts=10, initial=0.01, maximum=0.05))
    hubspot_sandbox.set_rate_limit(1000, 0.05)  # so injected 429s (which announce the window) cost little
    options = StreamOptions(page_size=10, search_limit=10)
    sync_hubspot(engine, build_streams(engine, calls, options=options), full=True)
    hubspot_sandbox.advance(60)
    for deal in hubspot_sandbox.ids("deals")[:30]:
        hubspot_sandbox.update("deals", deal, {"amount": "42.00"})
    hubspot_sandbox.archive("contacts", hubspot_sandbox.ids("contacts")[1])
    sync_hubspot(engine, build_streams(engine, calls, options=options))
    requests = len(hubspot_sandbox.server.log.entries())
    assert 0.05 * requests <= len(faults.fired) <= 0.2 * requests
    assert calls.stats.retries == len(faults.fired)  # every fault was retried, nothing else was
    assert store_state(engine) == sandbox_state(hubspot_sandbox)
    with unit_of_work(engine) as s:
        assert {r.status for r in s.scalars(select(SyncRun))} == {"ok"}
