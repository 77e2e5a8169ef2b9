"""The sync job runs every configured CRM; one failing (a revoked HubSpot token) does not stop the other."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.settings import load_settings
from bot.wiring import bootstrap
from sandbox.running import running, settings_values
from store.migrate import upgrade
from store.models import Account, SyncRun
from store.uow import unit_of_work


def test_one_crm_failing_leaves_the_other_syncing(tmp_path: Path, db_url: str) -> None:
    with running(accounts=10, state_dir=tmp_path / "sandboxes") as env:
        values = settings_values(salesforce=env.salesforce.info(), hubspot=env.hubspot.info())
        settings = load_settings(database_url=db_url, **{**values, "hubspot_access_token": "pat-revoked"})
        container = bootstrap(settings, with_slack=False)
        upgrade(container.engine)
        results = container.sync_all(full=True)
        assert results and {r.source for r in results} == {"salesforce"}
        assert all(r.status == "ok" for r in results)
        with unit_of_work(container.engine) as session:
            assert session.scalar(select(func.count()).select_from(Account)) == 5  # the even accounts
            failed = session.scalars(select(SyncRun).where(SyncRun.source == "hubspot")).all()
            assert [r.status for r in failed] == ["failed"]
        container.engine.dispose()
