"""The `retainer` console script as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "retainer"


def retainer(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "HUBSPOT_"))
    }
    full_env.update(env or {})
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120, check=False
    )


@pytest.fixture(autouse=True)
def _console_script_installed() -> None:
    assert BIN.exists() or shutil.which("retainer"), "the package must install the `retainer` console script"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = retainer("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("db", "doctor", "version", "sync", "run", "demo"):
        assert command in result.stdout


def test_version(tmp_path: Path) -> None:
    result = retainer("version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("retainer 0.")


def test_db_upgrade_then_doctor_is_healthy(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    before = retainer("doctor", cwd=tmp_path, env=env)
    assert before.returncode == 1
    assert "run `retainer db upgrade`" in before.stdout

    upgraded = retainer("db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database at revision" in upgraded.stdout

    after = retainer("doctor", cwd=tmp_path, env=env)
    assert after.returncode == 0, after.stdout
    assert "ok    database" in after.stdout
    assert "skip  salesforce: not configured" in after.stdout


def test_doctor_names_each_unreachable_service(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",
        "HUBSPOT_ACCESS_TOKEN": "pat-test",
        "HUBSPOT_HOST": "http://127.0.0.1:9",
        "SALESFORCE_INSTANCE_URL": "https://127.0.0.1:9",
        "SALESFORCE_SESSION_ID": "00Dtest",
    }
    result = retainer("doctor", cwd=tmp_path, env=env)
    assert result.returncode == 1
    out = result.stdout
    assert "FAIL  database: cannot connect to DATABASE_URL" in out
    for service in ("salesforce", "hubspot", "slack"):
        assert f"FAIL  {service}: " in out
    assert "Traceback" not in out + result.stderr
    assert "pat-test" not in out and "00Dtest" not in out


def test_doctor_fails_when_the_crms_keep_amounts_in_another_currency(tmp_path: Path) -> None:
    from sandbox.running import running, settings_values

    with running(accounts=4, state_dir=tmp_path / "sandboxes", currency="EUR") as sandboxes:
        values = settings_values(salesforce=sandboxes.salesforce.info(), hubspot=sandboxes.hubspot.info())
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
            "CURRENCY": "USD",
            **{k.upper(): v for k, v in values.items()},
        }
        assert retainer("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        result = retainer("doctor", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("FAIL  salesforce: https://")
        and line.endswith("the org keeps amounts in EUR but CURRENCY is USD: set CURRENCY=EUR")
        for line in lines
    ), result.stdout
    assert any(
        line.startswith("FAIL  hubspot: http://")
        and line.endswith("the account keeps amounts in EUR but CURRENCY is USD: set CURRENCY=EUR")
        for line in lines
    ), result.stdout
    assert "ok    database" in result.stdout


def test_check_runs_the_catalog_in_play_catalog_dir(tmp_path: Path) -> None:
    """PLAY_CATALOG_DIR replaces the shipped catalog; a bad file there stops `check` with its line."""
    plays = tmp_path / "plays"
    plays.mkdir()
    for path in Path(__file__).parent.parent.joinpath("plays", "catalog").glob("*.yml"):
        shutil.copy(path, plays / path.name)
    text = (plays / "ticket_spike.yml").read_text(encoding="utf-8")
    (plays / "ticket_spike.yml").write_text(text + "experiment: {holdout: 2}\n", encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "PLAY_CATALOG_DIR": str(plays)}
    assert retainer("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    result = retainer("check", cwd=tmp_path, env=env)
    assert result.returncode == 2
    line = len(text.splitlines()) + 1
    assert f"ticket_spike.yml:{line}: experiment: needs a list of arms" in result.stderr.replace("\n", "")
    assert retainer("check", cwd=tmp_path, env={**env, "PLAY_CATALOG_DIR": ""}).returncode == 0


def _error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.strip()]


UNREACHABLE = "postgresql://nobody@127.0.0.1:9/none"


def test_db_current_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = retainer("db", "current", cwd=tmp_path, env={"DATABASE_URL": UNREACHABLE})
    assert result.returncode == 1
    lines = _error_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("database error: cannot reach DATABASE_URL: ")


def test_db_upgrade_to_an_unknown_revision_says_so(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    result = retainer("db", "upgrade", "nosuchrev", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert _error_lines(result) == ["cannot upgrade: no such revision: nosuchrev"]


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "--changed-within", "60"),
        ("backtest",),
        ("ingest", "usage", "usage.csv"),
        ("ingest", "coverage"),
        ("sync", "status"),
    ],
    ids=" ".join,
)
def test_commands_on_an_unmigrated_database_say_to_migrate(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "usage.csv").write_text("account_id,day,active_users\nacc-1,2024-01-01,3\n", encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    result = retainer(*args, cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert _error_lines(result) == ["database error: the database is not migrated: run `retainer db upgrade`"]


def test_check_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = retainer("check", cwd=tmp_path, env={"DATABASE_URL": UNREACHABLE})
    assert result.returncode == 1
    lines = _error_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("database error: cannot reach DATABASE_URL: ")


@pytest.mark.parametrize(
    ("args", "value"),
    [
        pytest.param(("backtest", "--end", "2024-13-01"), "2024-13-01", id="backtest"),
        pytest.param(
            ("backtest", "--accounts", "5", "--end", "2024-13-01"), "2024-13-01", id="backtest synthetic"
        ),
        pytest.param(("ingest", "coverage", "--as-of", "2024-02-30"), "2024-02-30", id="coverage"),
    ],
)
def test_a_bad_date_is_a_usage_error(tmp_path: Path, args: tuple[str, ...], value: str) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    result = retainer(*args, cwd=tmp_path, env=env)
    assert result.returncode == 2
    _error_lines(result)
    assert f"not a date: {value} (use YYYY-MM-DD)" in result.stderr
