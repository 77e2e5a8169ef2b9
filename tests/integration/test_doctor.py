"""`retainer doctor` against the three sandboxes: every configured service answers; a bad token is named."""

from __future__ import annotations

from pathlib import Path

from bot.doctor import run_checks
from bot.settings import load_settings
from sandbox.running import running, settings_values
from store.db import make_engine
from store.migrate import upgrade


def test_doctor_reaches_every_sandbox_and_names_a_bad_token(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'doctor.db'}"
    upgrade(make_engine(db))
    with running(accounts=10, state_dir=tmp_path / "sandboxes") as env:
        sf, hs, slack = env.salesforce.info(), env.hubspot.info(), env.slack.info()
        values = {"database_url": db, **settings_values(salesforce=sf, hubspot=hs, slack=slack)}
        checks = {c.name: c for c in run_checks(load_settings(**values))}
        assert all(c.ok and not c.skipped for c in checks.values()), checks

        bad = {
            c.name: c for c in run_checks(load_settings(**{**values, "hubspot_access_token": "pat-wrong"}))
        }
        assert not bad["hubspot"].ok and bad["salesforce"].ok and bad["slack"].ok
        assert "pat-wrong" not in bad["hubspot"].message
