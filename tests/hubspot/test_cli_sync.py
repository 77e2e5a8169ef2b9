"""`retainer sync hubspot` as a user runs it, against the sandbox portal."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from sandbox.hubspot import HubSpotSandbox
from store.db import make_engine
from store.models import Account
from tests.test_cli import retainer


def test_sync_hubspot_full_then_incremental(tmp_path: Path, hubspot_sandbox: HubSpotSandbox) -> None:
    info = hubspot_sandbox.info()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HUBSPOT_ACCESS_TOKEN": info["access_token"],
        "HUBSPOT_HOST": info["host"],
    }
    assert retainer("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    full = retainer("sync", "hubspot", "--full", cwd=tmp_path, env=env)
    assert full.returncode == 0, full.stderr
    assert "HubSpot sync" in full.stdout and "companies" in full.stdout and "associations" in full.stdout
    assert info["access_token"] not in full.stdout + full.stderr
    again = retainer("sync", "hubspot", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr


def test_sync_hubspot_stops_on_a_bad_token_with_a_clear_message(
    tmp_path: Path, hubspot_sandbox: HubSpotSandbox
) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-revoked",
        "HUBSPOT_HOST": hubspot_sandbox.info()["host"],
    }
    retainer("db", "upgrade", cwd=tmp_path, env=env)
    result = retainer("sync", "hubspot", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "authentication failed" in result.stderr and "HUBSPOT_ACCESS_TOKEN" in result.stderr
    assert "pat-na1-revoked" not in result.stdout + result.stderr
    missing = retainer("sync", "hubspot", cwd=tmp_path, env={"DATABASE_URL": env["DATABASE_URL"]})
    assert missing.returncode == 2 and "HUBSPOT_ACCESS_TOKEN" in missing.stderr


def test_a_full_sync_refuses_a_mass_delete_until_the_admin_allows_it(
    tmp_path: Path, hubspot_sandbox: HubSpotSandbox
) -> None:
    info = hubspot_sandbox.info()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HUBSPOT_ACCESS_TOKEN": info["access_token"],
        "HUBSPOT_HOST": info["host"],
    }
    retainer("db", "upgrade", cwd=tmp_path, env=env)
    assert retainer("sync", "hubspot", "--full", cwd=tmp_path, env=env).returncode == 0
    for company in hubspot_sandbox.ids("companies")[:15]:  # half the portal gone: more likely lost access
        hubspot_sandbox.purge("companies", company)
    refused = retainer("sync", "hubspot", "--full", cwd=tmp_path, env=env)
    assert refused.returncode == 0, refused.stderr
    assert (
        "did not see 15 of 30 live accounts rows" in refused.stderr
        and "--allow-mass-delete" in refused.stderr
    )
    allowed = retainer("sync", "hubspot", "--full", "--allow-mass-delete", cwd=tmp_path, env=env)
    assert allowed.returncode == 0 and "did not see" not in allowed.stderr
    with make_engine(env["DATABASE_URL"]).connect() as conn:
        gone = conn.execute(select(func.count()).select_from(Account).where(Account.is_deleted.is_(True)))
        assert gone.scalar_one() == 15
