"""Crash-resume: SIGKILL the sync (and the write-back drain) mid-way; the rerun loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.streams import build_streams, sync_salesforce
from connectors.salesforce.writeback import SalesforceWriteBack
from connectors.writeback import CLAIM_LEASE, OUTCOME_ACTIVITY, drain_outbox
from sandbox.salesforce import SalesforceSandbox
from store import outbox_repo
from store.models import Contact, OutboxItem, SyncRun, SyncState
from store.uow import unit_of_work
from tests.salesforce.conftest import sandbox_digest, store_digest
from tests.salesforce.test_writeback import outcome

REPO = Path(__file__).resolve().parents[2]
DRAIN = """
from datetime import UTC, datetime
from bot.cli.salesforce_sync import salesforce_config
from bot.settings import load_settings
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.writeback import SalesforceWriteBack
from connectors.writeback import drain_outbox
from store.db import make_engine

settings = load_settings()
client = SalesforceWriteBack(SalesforceApi(salesforce_config(settings)))
drain_outbox(make_engine(settings.database_url), client, datetime.now(UTC))
"""


def _env(db_url: str, sandbox: SalesforceSandbox) -> dict[str, str]:
    info = sandbox.info()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=db_url,
        SALESFORCE_INSTANCE_URL=info["instance_url"],
        SALESFORCE_SESSION_ID=info["session_id"],
        SALESFORCE_CA_FILE=info["ca_file"],
        SALESFORCE_RECORDS_PER_COMMIT="1",  # a commit per page, so a kill can land between two
        PYTHONPATH=str(REPO),
    )
    return env


def _kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(
                f"the process ended before the kill point: {proc.stdout and proc.stdout.read()!r}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("never reached the kill point")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


@pytest.mark.slow
def test_sync_killed_mid_load_resumes_to_an_exact_copy(
    db_url: str, engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sf_sandbox.stall(r"/query", seconds=0.25, count=1000)  # every page is slow: the kill lands mid-load
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sync", "salesforce"],
        env=_env(db_url, sf_sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def contacts_page_committed() -> bool:
        with engine.connect() as conn:
            return conn.execute(select(SyncState).where(SyncState.stream == "Contact")).first() is not None

    _kill_when(proc, contacts_page_committed)
    sf_sandbox.app.stalls.clear()
    with engine.connect() as conn:
        contacts_before = conn.execute(select(func.count()).select_from(Contact)).scalar_one()
        assert (
            conn.execute(select(SyncRun.status).where(SyncRun.stream == "Contact")).scalar_one() == "running"
        )
    total_contacts = len(sf_sandbox.records("Contact", include_deleted=True))
    assert 0 < contacts_before < total_contacts  # killed mid-load, after a committed page

    results = {r.stream: r for r in sync_salesforce(engine, build_streams(api))}
    assert all(r.status == "ok" for r in results.values())
    assert results["Contact"].records_read < total_contacts  # resumed from the committed cursor
    assert store_digest(engine) == sandbox_digest(sf_sandbox)  # counts and checksums: no loss, no duplicates


@pytest.mark.slow
def test_writeback_killed_between_send_and_commit_sends_each_outcome_once(
    db_url: str, engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    keys = [f"outcome:{i}" for i in range(3)]
    with unit_of_work(engine) as session:
        for key in keys:
            outbox_repo.enqueue(
                session,
                idempotency_key=key,
                target="salesforce",
                kind=OUTCOME_ACTIVITY,
                payload=outcome(sf_sandbox, subject=key),
            )
    # the second upsert is applied in Salesforce, then its reply hangs: the drain is killed before commit
    sf_sandbox.stall(r"/sobjects/Task/Retainer_Key__c/outcome%3A1$", seconds=30, count=1)
    proc = subprocess.Popen(
        [sys.executable, "-c", DRAIN],
        env=_env(db_url, sf_sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _kill_when(proc, lambda: len(sf_sandbox.records("Task")) == 2)
    with engine.connect() as conn:
        states = dict(conn.execute(select(OutboxItem.idempotency_key, OutboxItem.state)).all())
    assert states == {"outcome:0": "sent", "outcome:1": "pending", "outcome:2": "pending"}

    sf_sandbox.app.stalls.clear()
    # the killed drain had claimed outcome:1; its lease runs out and the next drain sends both
    result = drain_outbox(engine, SalesforceWriteBack(api), datetime.now(UTC) + CLAIM_LEASE)
    assert result.sent == 2
    tasks = sf_sandbox.records("Task")
    assert sorted(t["Retainer_Key__c"] for t in tasks) == keys  # each outcome exactly once
    with engine.connect() as conn:
        sent = dict(conn.execute(select(OutboxItem.idempotency_key, OutboxItem.crm_record_id)).all())
    assert sent == {t["Retainer_Key__c"]: t["Id"] for t in tasks}
