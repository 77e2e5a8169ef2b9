"""`retainer sync status`, `retainer outbox list|retry` and `retainer audit` against a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.logs import configure_logging
from bot.settings import load_settings
from store import outbox_repo
from store.models import AlertEvent, OutboxItem, SyncRun
from store.uow import unit_of_work
from tests.surface_data import NOW, alert, load_book
from tests.test_cli import retainer

runner = CliRunner()


@pytest.fixture
def cli_env(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")
    yield engine
    # the commands configure logging onto the runner's captured stream, closed by now: point it back
    configure_logging(load_settings())


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_empty_install_says_so(cli_env: Engine) -> None:
    assert run("sync", "status") == (
        0,
        "No sync has run yet. Run `retainer sync salesforce` or `retainer sync hubspot`.\n",
    )
    code, out = run("outbox", "list")
    assert code == 0 and "pending: 0  sent: 0  failed: 0  parked: 0" in out and "No write-backs" in out
    assert run("outbox", "retry") == (0, "requeued 0 write-back(s)\n")
    assert run("audit") == (0, "Nothing in the audit trail for that filter.\n")


def test_sync_status_table(cli_env: Engine) -> None:
    with unit_of_work(cli_env) as session:
        start = datetime(2026, 11, 1, 8, tzinfo=UTC)
        session.add(
            SyncRun(source="salesforce", stream="Account", status="partial", started_at=start,
                    finished_at=start + timedelta(seconds=4), records_read=1200, records_upserted=1198,
                    records_rejected=2, errors=[{"error": "unknown Industry '[bold]Mining'"}] * 5)
        )  # fmt: skip
    code, out = run("sync", "status")
    assert code == 0, out
    assert "salesforce" in out and "Account" in out and "partial" in out and "4.0s" in out
    assert "1,200" in out and "1,198" in out
    assert "unknown Industry '[bold]Mining'" in out  # CRM text is shown literally, not as markup
    assert "(+2 more)" in out


def test_outbox_list_retry_and_audit(cli_env: Engine) -> None:
    accounts = load_book(cli_env, accounts=3)
    with unit_of_work(cli_env) as session:
        for key in ("failing", "written"):
            outbox_repo.enqueue(
                session, idempotency_key=key, target="hubspot", kind="champion_change", payload={},
                account_id=accounts[0].id,
            )  # fmt: skip
        session.flush()
        failing, written = session.get(OutboxItem, "failing"), session.get(OutboxItem, "written")
        assert failing is not None and written is not None
        outbox_repo.mark_failed(failing, "PROPERTY_DOESNT_EXIST: retainer_key", NOW, permanent=True)
        outbox_repo.mark_sent(written, "hs-note-77", NOW)
        fired = alert(accounts[0].id, "champion_departure", NOW - timedelta(hours=3))
        session.add(fired)
        session.flush()
        session.add(AlertEvent(alert_id=fired.id, at=NOW - timedelta(hours=2), actor="A1", action="claim",
                               from_state="firing", to_state="claimed", via="slack"))  # fmt: skip

    code, out = run("outbox", "list")
    assert code == 0 and "parked: 1" in out and "PROPERTY_DOESNT_EXIST" in out and "failing" in out
    code, out = run("outbox", "list", "--state", "sent")
    assert code == 0 and "written" in out and "PROPERTY_DOESNT_EXIST" not in out
    assert run("outbox", "list", "--state", "lost")[0] == 2

    code, out = run("outbox", "retry", "failing", "written")
    assert code == 1 and "requeued 1 write-back(s)" in out and "written" in out
    with unit_of_work(cli_env) as session:
        item = session.get(OutboxItem, "failing")
        assert item is not None and item.state == "pending"

    code, out = run("audit", "--account", accounts[0].crm_id, "--since", "2026-11-02")
    assert code == 0, out
    assert "crm_write" in out and "hs-note-77" in out and "claim" in out and "champion_departure" in out
    code, out = run("audit", "--account", accounts[1].crm_id)
    assert code == 0 and "Nothing in the audit trail" in out
    code, out = run("audit", "--until", "2026-11-01")
    assert code == 0 and "Nothing in the audit trail" in out
    code, out = run("audit", "--account", "no such account")
    assert code == 1 and "no account matches" in out


def test_console_script_runs_sync_status_and_explains_a_missing_schema(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    result = retainer("sync", "status", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "retainer db upgrade" in result.stderr and "Traceback" not in result.stderr
    assert retainer("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    ok = retainer("sync", "status", cwd=tmp_path, env=env)
    assert ok.returncode == 0 and "No sync has run yet" in ok.stdout
