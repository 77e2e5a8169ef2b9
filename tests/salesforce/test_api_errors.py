"""Each Salesforce failure mode, produced by the sandbox over HTTPS, maps to the right connector behaviour."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from connectors.errors import AuthError, RateLimited, RecordRejected, TransientError
from connectors.salesforce.api import RetryPolicy, SalesforceApi
from connectors.salesforce.client import SalesforceConfig
from connectors.salesforce.streams import build_streams, sync_salesforce
from connectors.salesforce.writeback import SalesforceWriteBack
from connectors.writeback import OUTCOME_ACTIVITY, drain_outbox
from sandbox.httpbase import Fault
from sandbox.salesforce import SalesforceSandbox
from store import outbox_repo
from store.models import Account, OutboxItem, SyncRun
from store.uow import unit_of_work
from tests.salesforce.conftest import FAST_RETRY, sandbox_digest, sf_config, store_digest

COUNT_ACCOUNTS = "SELECT Id FROM Account"


def test_expired_session_reauthenticates_once_and_carries_on(
    sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    assert api.query(COUNT_ACCOUNTS)
    sf_sandbox.expire_sessions()
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    assert sf_sandbox.server.log.count("POST", "/services/oauth2/token", status=200) == 1
    assert sf_sandbox.server.log.count("GET", "/query", status=401) == 1


def test_a_second_401_after_reauthenticating_is_an_auth_error(
    sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sf_sandbox.server.faults.add(Fault(kind="status", status=401, count=2, path="^/services/data/"))
    with pytest.raises(AuthError, match="after re-authenticating"):
        api.query(COUNT_ACCOUNTS)
    assert sf_sandbox.server.log.count("POST", "/services/oauth2/token") == 1


def test_401_without_a_way_to_reauthenticate_is_an_auth_error(sf_sandbox: SalesforceSandbox) -> None:
    api = SalesforceApi(sf_config(sf_sandbox, connected_app=False), retry=FAST_RETRY)
    sf_sandbox.expire_sessions()
    with pytest.raises(AuthError):
        api.query(COUNT_ACCOUNTS)
    assert sf_sandbox.server.log.count("POST", "/services/oauth2/token") == 0


def test_request_limit_exceeded_is_rate_limited(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    sf_sandbox.set_daily_limit(0)
    with pytest.raises(RateLimited) as err:
        api.query(COUNT_ACCOUNTS)
    assert err.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert sf_sandbox.server.log.count("GET", "/query", status=403) == 1  # never retried


def test_usage_ceiling_stops_before_the_limit(sf_sandbox: SalesforceSandbox) -> None:
    api = SalesforceApi(sf_config(sf_sandbox), retry=FAST_RETRY, usage_ceiling=0.5)
    sf_sandbox.set_daily_limit(4)
    api.query(COUNT_ACCOUNTS)
    api.query(COUNT_ACCOUNTS)
    with pytest.raises(RateLimited, match="ceiling"):
        api.query(COUNT_ACCOUNTS)
    assert sf_sandbox.api_usage() == 2


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="status", status=500, count=2),
        Fault(kind="status", status=503, count=2),
        Fault(kind="drop", count=2),
    ],
)
def test_server_errors_and_dropped_connections_are_retried(
    sf_sandbox: SalesforceSandbox, api: SalesforceApi, fault: Fault
) -> None:
    sf_sandbox.server.faults.add(fault)
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    assert sf_sandbox.server.log.count("GET", "/query") == 3


def test_timeouts_are_retried(sf_sandbox: SalesforceSandbox) -> None:
    api = SalesforceApi(sf_config(sf_sandbox, timeout=0.3), retry=FAST_RETRY)
    sf_sandbox.server.faults.add(Fault(kind="delay", seconds=0.8, count=1))
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    assert api.requests_made == 2


def test_retries_are_bounded(sf_sandbox: SalesforceSandbox) -> None:
    api = SalesforceApi(
        sf_config(sf_sandbox), retry=RetryPolicy(attempts=3, wait_multiplier=0.01, wait_max=0.02)
    )
    sf_sandbox.server.faults.add(Fault(kind="status", status=500, count=10))
    with pytest.raises(TransientError):
        api.query(COUNT_ACCOUNTS)
    assert sf_sandbox.server.log.count("GET", "/query", status=500) == 3


def test_bad_requests_are_rejected_not_retried(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    with pytest.raises(RecordRejected) as err:
        api.rest("sobjects/Task", method="POST", json={"Subject": "x", "Status": "Completed", "Nope__c": 1})
    assert err.value.code == "INVALID_FIELD"
    assert sf_sandbox.server.log.count("POST", "/sobjects/Task") == 1


def test_rate_limit_mid_sync_stops_as_partial_and_the_next_run_resumes(
    engine: Engine, sf_sandbox: SalesforceSandbox, api: SalesforceApi
) -> None:
    sf_sandbox.set_daily_limit(sf_sandbox.api_usage() + 3)  # Account (rates, 1 page) + 1 page of Contacts
    first = sync_salesforce(engine, build_streams(api))
    assert [r.status for r in first] == ["ok", "partial"]
    assert first[1].errors[-1]["kind"] == "rate_limited"
    with engine.connect() as conn:
        runs = conn.execute(select(SyncRun.stream, SyncRun.status).order_by(SyncRun.started_at)).all()
    assert [tuple(r) for r in runs] == [("Account", "ok"), ("Contact", "partial")]
    contacts_read_before = first[1].records_read
    assert contacts_read_before > 0

    sf_sandbox.set_daily_limit(1_000_000)
    second = sync_salesforce(engine, build_streams(api))
    assert [r.status for r in second] == ["ok"] * 5
    assert second[1].records_read < len(sf_sandbox.records("Contact", include_deleted=True))  # resumed
    assert store_digest(engine) == sandbox_digest(sf_sandbox)


def test_auth_failure_mid_sync_fails_the_run(engine: Engine, sf_sandbox: SalesforceSandbox) -> None:
    api = SalesforceApi(sf_config(sf_sandbox, connected_app=False), retry=FAST_RETRY)
    sf_sandbox.expire_sessions()
    with pytest.raises(AuthError):
        sync_salesforce(engine, build_streams(api))
    with engine.connect() as conn:
        assert conn.execute(select(SyncRun.status)).scalars().all() == ["failed"]
        assert conn.execute(select(Account.id)).first() is None


def test_429_is_rate_limited_too(sf_sandbox: SalesforceSandbox, api: SalesforceApi) -> None:
    sf_sandbox.server.faults.add(Fault(kind="status", status=429, count=1))
    with pytest.raises(RateLimited):
        api.query(COUNT_ACCOUNTS)


def password_config(
    sandbox: SalesforceSandbox, *, password: str | None = None, **extra: Any
) -> SalesforceConfig:
    """A username/password (SOAP login) configuration for the sandbox; `password` overrides the right one."""
    info = sandbox.info()
    return SalesforceConfig(
        username=sandbox.username,
        password=SecretStr(sandbox.password if password is None else password),
        security_token=SecretStr(sandbox.security_token),
        domain=sandbox.login_domain,
        api_version=info["api_version"],
        ca_file=Path(info["ca_file"]),
        timeout=5.0,
        **extra,
    )


def test_password_login_signs_in_and_again_when_the_session_expires(sf_sandbox: SalesforceSandbox) -> None:
    api = SalesforceApi(password_config(sf_sandbox), retry=FAST_RETRY)
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    sf_sandbox.expire_sessions()
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    assert sf_sandbox.server.log.count("POST", "/services/Soap/u/", status=200) >= 2


def test_a_configured_session_is_replaced_by_a_password_login_when_it_expires(
    sf_sandbox: SalesforceSandbox,
) -> None:
    info = sf_sandbox.info()
    config = password_config(
        sf_sandbox, instance_url=info["instance_url"], session_id=SecretStr(info["session_id"])
    )
    api = SalesforceApi(config, retry=FAST_RETRY)
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    assert sf_sandbox.server.log.count("POST", "/services/Soap/u/") == 0  # the configured session served
    sf_sandbox.expire_sessions()
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    assert sf_sandbox.server.log.count("POST", "/services/Soap/u/", status=200) == 1


def test_a_refused_password_login_is_an_auth_error(engine: Engine, sf_sandbox: SalesforceSandbox) -> None:
    """Callers catch ConnectorError (the other CRM still syncs; the drain records why it stopped)."""
    api = SalesforceApi(password_config(sf_sandbox, password="wrong"), retry=FAST_RETRY)
    with pytest.raises(AuthError) as err:
        api.query(COUNT_ACCOUNTS)
    assert err.value.code == "INVALID_LOGIN"
    with pytest.raises(AuthError):
        sync_salesforce(engine, build_streams(api))
    with engine.connect() as conn:
        (run,) = conn.execute(select(SyncRun.status, SyncRun.errors)).all()
    assert run.status == "failed" and run.errors[-1]["kind"] == "AuthError"


def test_a_password_refused_on_re_login_is_an_auth_error(sf_sandbox: SalesforceSandbox) -> None:
    """The configured session expires and the password (changed meanwhile) no longer signs in."""
    info = sf_sandbox.info()
    config = password_config(
        sf_sandbox,
        password="changed",
        instance_url=info["instance_url"],
        session_id=SecretStr(info["session_id"]),
    )
    api = SalesforceApi(config, retry=FAST_RETRY)
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    sf_sandbox.expire_sessions()
    with pytest.raises(AuthError) as err:
        api.query(COUNT_ACCOUNTS)
    assert err.value.code == "INVALID_LOGIN"


def test_a_refused_password_login_stops_the_drain_and_is_recorded(
    engine: Engine, sf_sandbox: SalesforceSandbox
) -> None:
    api = SalesforceApi(password_config(sf_sandbox, password="wrong"), retry=FAST_RETRY)
    with unit_of_work(engine) as session:
        outbox_repo.enqueue(
            session,
            idempotency_key="outcome:a",
            target="salesforce",
            kind=OUTCOME_ACTIVITY,
            payload={
                "account_crm_id": sf_sandbox.records("Account")[0]["Id"],
                "subject": "Renewal call",
                "body": "Agreed next steps.",
                "status": "Completed",
                "activity_date": "2026-11-20",
                "outcome_id": "out-1",
            },
        )
    result = drain_outbox(engine, SalesforceWriteBack(api), datetime.now(UTC))
    assert result.stopped and "INVALID_LOGIN" in result.stopped
    with engine.connect() as conn:
        state, attempts, error = conn.execute(
            select(OutboxItem.state, OutboxItem.attempts, OutboxItem.last_error)
        ).one()
    assert (state, attempts) == ("failed", 0) and "INVALID_LOGIN" in str(error)


def test_a_password_changed_under_a_signed_in_client_is_one_refused_login(
    sf_sandbox: SalesforceSandbox,
) -> None:
    """The SDK signs in again by itself when its password session expires; refused, that is an
    AuthError at once (the same credentials would only be refused again)."""
    api = SalesforceApi(password_config(sf_sandbox), retry=FAST_RETRY)
    assert len(api.query(COUNT_ACCOUNTS)) == 12
    sf_sandbox.state.save_meta(password="changed-by-an-admin")
    sf_sandbox.expire_sessions()
    with pytest.raises(AuthError) as err:
        api.query(COUNT_ACCOUNTS)
    assert err.value.code == "INVALID_LOGIN"
    assert sf_sandbox.server.log.count("POST", "/services/Soap/u/", status=500) == 1
