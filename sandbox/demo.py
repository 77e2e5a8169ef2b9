"""`retainer demo`: the whole product on one machine.

Starts the three sandboxes with the seeded portfolio (shared clock), builds the bot from settings that
point at them, runs the first sync + signal ingest + health pass + alert posting, serves Slack's requests
and the scheduler, and registers the web page's "CRM activity" and "time travel" panels.
State lives in `state_dir` (default `.state/demo`): a second run reuses it; `--reset` starts afresh.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.ingest.load import ingest_text
from bot.permissions import RoleConfig
from bot.runner import Running, start
from bot.services.directory import import_slack_users
from bot.settings import load_settings
from bot.wiring import Container, bootstrap
from sandbox.feeds import nps_ndjson, usage_ndjson
from sandbox.hubspot.load import owner_id
from sandbox.portfolio import csm_count_for, generate
from sandbox.running import SandboxEnv, running, settings_values, this_monday
from sandbox.world import World
from store import migrate
from store.models import Account, OutboxItem
from store.uow import unit_of_work

MANAGER, ADMIN = "UMANAGER", "UADMIN"


@dataclass
class Demo:
    env: SandboxEnv
    container: Container
    bot: Running
    world: World
    ui_url: str
    seconds_to_ready: float


def _settings(env: SandboxEnv, state_dir: Path, accounts: int) -> Any:
    sf, hs, slack = env.salesforce.info(), env.hubspot.info(), env.slack.info()
    token_file = state_dir / "ingest-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(24))
    return load_settings(
        database_url=f"sqlite:///{(state_dir / 'retainer.db').resolve()}",
        **settings_values(salesforce=sf, hubspot=hs, slack=slack),
        ingest_token=token_file.read_text(),
        admin_slack_ids=ADMIN,
        manager_slack_ids=MANAGER,
        default_alert_channel="CCSALERTS",
        escalation_channel="CCSESCALATIONS",
        slack_digest_threshold=max(25, accounts // 10),
    )


def crm_activity(container: Container) -> Callable[[], dict[str, list[dict[str, Any]]]]:
    """What the bot wrote to each CRM: sent write-backs with the record ids the CRMs returned."""

    def activity() -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = {"salesforce": [], "hubspot": []}
        with unit_of_work(container.engine) as session:
            rows = session.execute(
                select(OutboxItem, Account.name)
                .join(Account, Account.id == OutboxItem.account_id, isouter=True)
                .order_by(OutboxItem.created_at.desc())
                .limit(200)
            ).all()
        for item, account in rows:
            result.setdefault(item.target, []).append(
                {
                    "account": account,
                    "kind": "Task/Note" if item.kind == "outcome_activity" else "contact role",
                    "subject": item.payload.get("subject") or item.payload.get("role"),
                    "state": item.state,
                    "crm record": item.crm_record_id or "",
                    "error": item.last_error or "",
                }
            )
        return result

    return activity


def time_travel(demo_world: World, container: Container) -> Callable[[], dict[str, Any]]:
    """A week passes: new signals arrive, then every scheduler job runs once, in order."""

    def travel() -> dict[str, Any]:
        week = demo_world.advance_week()
        ingest_text(container.engine, "usage", week.usage_ndjson, "ndjson")
        if week.nps_ndjson:
            ingest_text(container.engine, "nps", week.nps_ndjson, "ndjson")
        container.sync_all()
        check = container.check()
        transitions = container.sweep()
        container.publish()
        container.drain()
        return {
            "week": week.week,
            "now": container.clock.now().isoformat(),
            "new alerts": getattr(check, "fired", 0),
            "sla and snooze transitions": {**getattr(check, "transitions", {}), **transitions},
            "accounts starting to slide": week.sliding,
            "new detractors": week.detractors,
            "tickets filed": week.tickets_filed,
        }

    return travel


@contextmanager
def demo(
    accounts: int = 300,
    seed: int = 42,
    state_dir: Path = Path(".state/demo"),
    reset: bool = False,
    log: Callable[[str], None] = print,
) -> Iterator[Demo]:
    started = time.perf_counter()
    if reset and state_dir.exists():
        shutil.rmtree(state_dir)
    fresh = not (state_dir / "retainer.db").exists()
    state_dir.mkdir(parents=True, exist_ok=True)
    as_of = this_monday()
    log(f"starting the Salesforce, HubSpot and Slack sandboxes ({accounts} accounts, seed {seed})")
    with running(accounts=accounts, seed=seed, state_dir=state_dir / "sandbox", as_of=as_of) as env:
        settings = _settings(env, state_dir, accounts)
        container = bootstrap(settings, clock=env.clock)
        migrate.upgrade(container.engine)
        bot = start(container, port=0)
        try:
            assert bot.events_url is not None and container.slack is not None
            env.slack.set_bot_url(bot.events_url)
            portfolio = list(generate(accounts, seed=seed, as_of=as_of))
            world = World(env, portfolio, state_dir, seed=seed)
            emails = {f"csm{i:03d}@retainer.example" for i in range(csm_count_for(accounts))}
            import_slack_users(
                container.engine,
                container.slack,
                RoleConfig.from_csv(ADMIN, MANAGER),
                home_channels={e: f"CCSM{e[3:6]}" for e in emails},
                crm_owner_ids={e: owner_id(e) for e in emails},
                default_manager=MANAGER,
            )
            log("syncing Salesforce and HubSpot" + (" (first load)" if fresh else ""))
            container.sync_all(full=fresh)
            if fresh:
                log("loading product usage and NPS feeds")
                ingest_text(container.engine, "usage", usage_ndjson(portfolio), "ndjson")
                ingest_text(container.engine, "nps", nps_ndjson(portfolio), "ndjson")
            log("scoring health and running the plays")
            container.check()
            container.publish()
            env.slack.set_crm_activity(crm_activity(container))
            env.slack.set_time_travel(time_travel(world, container))
            yield Demo(env, container, bot, world, env.slack.info()["ui_url"], time.perf_counter() - started)
        finally:
            bot.stop()
