"""The sync job runs a CRM's sync full once its last full run is FULL_SYNC_INTERVAL_HOURS old, so the
deletions only a full run sees (`store.sweep`) are reconciled without anyone remembering to."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from bot.settings import load_settings
from bot.wiring import bootstrap
from sandbox.running import running, settings_values
from store import sync_repo
from store.migrate import upgrade
from store.models import SyncRun
from store.uow import unit_of_work


def _modes(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        runs = select(SyncRun).where(SyncRun.stream == "Account").order_by(SyncRun.started_at)
        return [r.mode for r in session.scalars(runs)]


def test_the_sync_job_goes_full_when_the_last_full_run_is_old_enough(tmp_path: Path, db_url: str) -> None:
    with running(accounts=6, state_dir=tmp_path / "sandboxes") as env:
        values = settings_values(salesforce=env.salesforce.info(), hubspot=None)
        settings = load_settings(database_url=db_url, **{**values, "full_sync_interval_hours": 24})
        container = bootstrap(settings, with_slack=False)
        engine = container.engine
        upgrade(engine)
        container.sync_all()  # never synced in full: the job's first run is full
        container.sync_all()  # then incremental
        assert _modes(engine) == ["full", "incremental"]
        assert not sync_repo.full_sync_due(engine, "salesforce", timedelta(hours=24))

        with unit_of_work(engine) as session:  # a day passes
            for run in session.scalars(select(SyncRun)):
                run.started_at -= timedelta(hours=25)
        assert sync_repo.full_sync_due(engine, "salesforce", timedelta(hours=24))
        container.sync_all()
        assert _modes(engine)[-1] == "full"
        assert not sync_repo.full_sync_due(engine, "salesforce", timedelta(0))  # 0: never
        engine.dispose()
