"""`retainer sync salesforce` as a user runs it, against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from sandbox.salesforce import SalesforceSandbox
from store.models import Account

BIN = Path(sys.executable).parent / "retainer"


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "DATABASE_URL"))}
    return subprocess.run(
        [str(BIN), "sync", "salesforce", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, "COLUMNS": "160", **env},
        timeout=120,
        check=False,
    )


def cli_env(sandbox: SalesforceSandbox, db_url: str) -> dict[str, str]:
    """The settings a user sets to sync `sandbox` into `db_url`."""
    info = sandbox.info()
    return {
        "DATABASE_URL": db_url,
        "SALESFORCE_INSTANCE_URL": info["instance_url"],
        "SALESFORCE_SESSION_ID": info["session_id"],
        "SALESFORCE_CA_FILE": info["ca_file"],
    }


def test_sync_prints_a_summary_and_fills_the_store(
    tmp_path: Path, db_url: str, engine: Engine, sf_sandbox: SalesforceSandbox
) -> None:
    info = sf_sandbox.info()
    env = cli_env(sf_sandbox, db_url)
    result = _run(env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Salesforce sync (incremental)" in result.stdout
    for stream in ("Account", "Contact", "Opportunity", "OpportunityContactRole", "Case"):
        assert stream in result.stdout
    assert info["session_id"] not in result.stdout + result.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account)).scalar_one() == 12

    full = _run("--full", env=env, cwd=tmp_path)
    assert full.returncode == 0 and "Salesforce sync (full)" in full.stdout

    sf_sandbox.expire_sessions()
    expired = _run(env=env, cwd=tmp_path)
    assert expired.returncode == 1 and "sync failed" in expired.stdout


def test_missing_configuration_is_one_clear_line(tmp_path: Path) -> None:
    result = _run(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "SALESFORCE_INSTANCE_URL is not set" in result.stderr
