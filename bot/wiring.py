"""The composition root: builds the store, clients, Slack app, publisher and scheduler from settings.

Nothing else builds clients or reads settings; listeners and jobs receive what they need from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy import Engine, select

from bot.leader import leader_lock_for
from bot.permissions import RoleConfig
from bot.scheduler import Job, LeaderScheduler
from bot.services.check import CheckSummary, EngineConfig, run_check, run_sweep
from bot.services.scoring_pool import ScoringPool, pool_for
from bot.settings import ConfigError, Settings
from bot.slack.after_ack import BusyGate, QueuedLazyRunner
from bot.slack.app import build_bolt_app
from bot.slack.crm_links import CrmLinks
from bot.slack.deps import SlackDeps
from bot.slack.publisher import AlertPublisher, Rendering
from connectors.errors import ConnectorError
from connectors.sync import RunResult
from connectors.writeback import DrainResult, WriteBackClient, drain_outbox
from messages.money import set_currency
from plays.catalog import Catalog, load_catalog
from plays.clock import Clock, SystemClock
from plays.segments import load_segment_config
from store import sync_repo
from store.db import make_engine
from store.models import Alert
from store.uow import unit_of_work

log = structlog.get_logger(__name__)


@dataclass
class CrmConnection:
    name: str  # salesforce | hubspot
    sync: Callable[[bool], list[RunResult]]  # full? -> results
    writeback: WriteBackClient


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    catalog: Catalog
    crms: list[CrmConnection]
    slack: WebClient | None = None
    bolt: App | None = None
    publisher: AlertPublisher | None = None
    scheduler: LeaderScheduler | None = None
    scoring_pool: ScoringPool | None = None  # worker processes for full passes (started on first use)
    last_refresh: datetime | None = None
    extra_jobs: list[Job] = field(default_factory=list)
    # the HTTP server counts requests in flight here; the work after an ack waits for a quiet moment
    request_gate: BusyGate = field(default_factory=BusyGate)
    after_ack: QueuedLazyRunner | None = None

    # --- job bodies -------------------------------------------------------------------------------
    def sync_all(self, full: bool | None = None) -> list[RunResult]:
        """Sync every configured CRM. One CRM failing (bad token, exhausted retries) is recorded in
        sync_runs and logged, and the others still sync. `full=None` (the sync job) runs a CRM's sync
        full when its last full run is `full_sync_interval_hours` old (`store.sync_repo.full_sync_due`)."""
        results: list[RunResult] = []
        every = timedelta(hours=self.settings.full_sync_interval_hours)
        for crm in self.crms:
            try:
                due = full if full is not None else sync_repo.full_sync_due(self.engine, crm.name, every)
                results.extend(crm.sync(due))
            except ConnectorError as exc:
                log.error("sync.crm_failed", crm=crm.name, error=str(exc))
        return results

    def check(self) -> CheckSummary:
        return run_check(
            self.engine,
            EngineConfig(self.catalog, default_channel=self.settings.default_alert_channel),
            self.clock,
            pool=self.scoring_pool,
        )

    def sweep(self) -> dict[str, int]:
        return run_sweep(self.engine, self.catalog, self.clock)

    def publish(self) -> object:
        """Post new alerts, and update the messages of alerts the scheduler changed since last time."""
        if self.publisher is None:
            return None
        started = self.clock.now()
        report = self.publisher.publish_pending()
        since = self.last_refresh or started
        with unit_of_work(self.engine) as session:
            changed = list(
                session.scalars(
                    select(Alert.id).where(Alert.updated_at >= since, Alert.message_ts.is_not(None))
                )
            )
        for alert_id in changed:
            self.publisher.refresh(alert_id)
        self.publisher.notify_escalations(self.settings.escalation_channel)
        self.publisher.notify_steps()
        self.last_refresh = started
        return report

    def check_and_publish(self) -> CheckSummary:
        summary = self.check()
        self.publish()
        return summary

    def sweep_and_publish(self) -> dict[str, int]:
        transitions = self.sweep()
        self.publish()
        return transitions

    def drain(self) -> list[DrainResult]:
        return [drain_outbox(self.engine, crm.writeback, self.clock.now()) for crm in self.crms]

    def import_directory(self) -> int:
        """Refresh Slack users (email, name, role, timezone) so alerts find their owners."""
        if self.slack is None:
            return 0
        from bot.services.directory import import_slack_users

        roles = RoleConfig.from_csv(self.settings.admin_slack_ids, self.settings.manager_slack_ids)
        return import_slack_users(self.engine, self.slack, roles)

    def jobs(self) -> list[Job]:
        s = self.settings
        return [
            Job("directory", timedelta(hours=6), self.import_directory),
            Job("sync", timedelta(minutes=s.sync_interval_minutes), self.sync_all),
            Job("rescore", timedelta(minutes=s.rescore_interval_minutes), self.check_and_publish),
            Job("sla_sweep", timedelta(minutes=s.sla_sweep_interval_minutes), self.sweep_and_publish),
            Job("digest_flush", timedelta(minutes=s.digest_flush_interval_minutes), self.publish),
            Job("outbox_drain", timedelta(seconds=s.outbox_drain_interval_seconds), self.drain),
            *self.extra_jobs,
        ]


def crm_connections(settings: Settings, engine: Engine) -> list[CrmConnection]:
    """One connection per configured CRM."""
    connections: list[CrmConnection] = []
    if settings.salesforce_configured:
        from bot.cli.salesforce_sync import salesforce_config
        from connectors.salesforce.api import SalesforceApi
        from connectors.salesforce.mapping import load_mapping
        from connectors.salesforce.streams import build_streams, sync_salesforce
        from connectors.salesforce.writeback import SalesforceWriteBack

        api = SalesforceApi(salesforce_config(settings))
        mapping = load_mapping(settings.salesforce_mapping_file)

        def sync_sf(full: bool) -> list[RunResult]:
            streams = build_streams(
                api,
                mapping,
                records_per_commit=settings.salesforce_records_per_commit,
                currency=settings.currency,
            )
            return sync_salesforce(engine, streams, full=full)

        connections.append(CrmConnection("salesforce", sync_sf, SalesforceWriteBack(api)))
    if settings.hubspot_access_token is not None:
        from connectors.hubspot.calls import HubSpotCalls
        from connectors.hubspot.client import HubSpotConfig, connect
        from connectors.hubspot.runner import StreamOptions, sync_hubspot
        from connectors.hubspot.runner import build_streams as hs_streams
        from connectors.hubspot.writeback import HubSpotWriteBack

        calls = HubSpotCalls(connect(HubSpotConfig(settings.hubspot_access_token, settings.hubspot_host)))

        def sync_hs(full: bool) -> list[RunResult]:
            options = StreamOptions(currency=settings.currency)  # streams built per run: rates read anew
            return sync_hubspot(engine, hs_streams(engine, calls, options=options), full=full)

        connections.append(CrmConnection("hubspot", sync_hs, HubSpotWriteBack(calls)))
    return connections


def slack_client(settings: Settings, *, retries: bool) -> WebClient:
    client = WebClient(
        token=settings.secret("slack_bot_token"),
        base_url=settings.slack_api_base_url or WebClient.BASE_URL,
        timeout=15,
    )
    if retries:  # listeners' calls retry; the posting queue handles 429 itself to keep 1 msg/s/channel
        client.retry_handlers.extend(
            [RateLimitErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler()]
        )
    return client


def bootstrap(settings: Settings, *, clock: Clock | None = None, with_slack: bool = True) -> Container:
    set_currency(settings.currency)  # every amount in a message is shown in the CRMs' currency
    engine = make_engine(settings.database_url)
    container = Container(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        catalog=load_catalog(settings.play_catalog_dir),
        crms=crm_connections(settings, engine),
    )
    if with_slack:
        settings.require("slack_bot_token", "slack_signing_secret")
        listener_client = slack_client(settings, retries=True)
        rendering = Rendering(
            container.catalog,
            load_segment_config(),
            CrmLinks(salesforce_instance_url=settings.salesforce_instance_url),
        )
        publisher = AlertPublisher(
            engine,
            listener_client,
            rendering,
            clock=container.clock,
            post_client=slack_client(settings, retries=False),
            digest_threshold=settings.slack_digest_threshold,
        )
        deps = SlackDeps(
            engine=engine,
            clock=container.clock,
            rendering=rendering,
            publisher=publisher,
            roles=RoleConfig.from_csv(settings.admin_slack_ids, settings.manager_slack_ids),
            escalation_channel=settings.escalation_channel,
            default_channel=settings.default_alert_channel,
            timezone=settings.timezone,
            after_change=publisher.publish_soon,  # e.g. a champion change fires an alert: post it now
        )
        container.slack = listener_client
        container.publisher = publisher
        container.after_ack = QueuedLazyRunner(
            logging.getLogger("bot.slack.after_ack"), container.request_gate
        )
        try:
            container.bolt = build_bolt_app(
                listener_client, settings.secret("slack_signing_secret"), deps, container.after_ack
            )
        except BoltError as exc:
            raise ConfigError(f"Slack refused SLACK_BOT_TOKEN: {exc}") from exc
    container.scheduler = LeaderScheduler(leader_lock_for(engine), container.jobs())
    container.scoring_pool = pool_for(engine, settings.rescore_workers)
    return container
