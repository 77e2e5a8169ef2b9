"""Settings: validation errors are one clear line naming the setting; secrets never leak."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from bot.logs import configure_logging
from bot.settings import ConfigError, load_settings

RETAINER = [sys.executable, "-m", "bot.cli"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "HUBSPOT_"))
    }
    full_env.update(env or {})
    return subprocess.run(
        [*RETAINER, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=60, check=False
    )


def test_invalid_database_url_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", env={"DATABASE_URL": "not a url"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_unsupported_database_backend_is_rejected() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL: unsupported backend 'mysql'"):
        load_settings(database_url="mysql://root@localhost/x")


def test_missing_required_secret_names_it(tmp_path: Path) -> None:
    result = run_cli("run", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_invalid_timezone_is_reported() -> None:
    with pytest.raises(ConfigError, match="TIMEZONE: unknown time zone 'Mars/Olympus'"):
        load_settings(timezone="Mars/Olympus")


def test_settings_read_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("HUBSPOT_ACCESS_TOKEN=pat-from-dotenv\nTIMEZONE=Europe/Berlin\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.timezone == "Europe/Berlin"
    assert settings.hubspot_access_token is not None
    assert settings.hubspot_access_token.get_secret_value() == "pat-from-dotenv"


SECRETS = {
    "slack_bot_token": "xoxb-very-secret-bot-token",
    "slack_signing_secret": "signing-secret-value-123",
    "hubspot_access_token": "pat-na1-secret-hubspot",
    "salesforce_session_id": "00Dsecret!session",
    "salesforce_password": "hunter2-password",
}


def test_secrets_never_in_repr() -> None:
    settings = load_settings(**SECRETS)
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for value in SECRETS.values():
        assert value not in shown
    assert settings.secret("slack_bot_token") == SECRETS["slack_bot_token"]


def test_secrets_never_in_logs() -> None:
    settings = load_settings(**SECRETS, log_format="json")
    out = io.StringIO()
    configure_logging(settings, stream=out)
    log = structlog.get_logger("test")
    log.info("connecting", settings=repr(settings), token=SECRETS["slack_bot_token"])
    log.warning(f"request failed with header Authorization: Bearer {SECRETS['hubspot_access_token']}")
    log.error(
        "nested",
        details={"session": SECRETS["salesforce_session_id"], "list": [SECRETS["salesforce_password"]]},
    )
    text = out.getvalue()
    assert text.count("\n") == 3
    for value in SECRETS.values():
        assert value not in text
    assert json.loads(text.splitlines()[1])["event"].endswith("Bearer **********")


def test_empty_values_from_env_example_mean_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parent.parent / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.slack_bot_token is None
    with pytest.raises(ConfigError, match=r"^SLACK_BOT_TOKEN is not set"):
        settings.require("slack_bot_token")


DATABASE_PASSWORD = "db-pass@word-42"
DATABASE_URL_WITH_PASSWORD = "postgresql+psycopg://retainer:db-pass%40word-42@db.internal:5432/retainer"


def test_database_password_never_in_repr() -> None:
    from bot.wiring import Container
    from plays.clock import SystemClock
    from store.db import make_engine

    settings = load_settings(database_url=DATABASE_URL_WITH_PASSWORD)
    container = Container(
        settings=settings,
        engine=make_engine(settings.database_url),
        clock=SystemClock(),
        catalog=None,  # type: ignore[arg-type]
        crms=[],
    )
    shown = repr(settings) + str(settings) + repr(container)
    for value in (DATABASE_PASSWORD, "db-pass%40word-42"):
        assert value not in shown
    assert settings.database_url == DATABASE_URL_WITH_PASSWORD


def test_database_password_masked_in_logs() -> None:
    settings = load_settings(database_url=DATABASE_URL_WITH_PASSWORD, log_format="json")
    out = io.StringIO()
    configure_logging(settings, stream=out)
    log = structlog.get_logger("test")
    log.error("cannot connect", url=settings.database_url)
    log.error(f"authentication failed for password {DATABASE_PASSWORD}")
    text = out.getvalue()
    assert text.count("\n") == 2
    assert DATABASE_PASSWORD not in text and "db-pass%40word-42" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["url"] == "postgresql+psycopg://retainer:**********@db.internal:5432/retainer"
    assert lines[1]["event"] == "authentication failed for password **********"
