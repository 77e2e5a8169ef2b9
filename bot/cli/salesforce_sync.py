"""The body of `retainer sync salesforce`: settings -> connector config, streams with a rich progress bar,
and a summary table. Kept apart from `bot/cli/sync.py` so each CRM's command stays one line there."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import (
    engine_for,
    exit_on_config_error,
    print_sweep_refusals,
    settings_or_exit,
    sweep_limit,
    sync_summary,
)
from bot.settings import ConfigError, Settings
from connectors.errors import ConfigurationError, ConnectorError
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.client import SalesforceConfig
from connectors.salesforce.mapping import load_mapping
from connectors.salesforce.streams import build_streams, sync_salesforce
from connectors.sync import RunResult

console = Console()


def salesforce_config(settings: Settings) -> SalesforceConfig:
    """The connector's configuration from settings (the composition root passes values explicitly)."""
    if not settings.salesforce_configured:
        raise ConfigError("SALESFORCE_INSTANCE_URL is not set (see .env.example)")
    return SalesforceConfig(
        instance_url=settings.salesforce_instance_url,
        session_id=settings.salesforce_session_id,
        username=settings.salesforce_username,
        password=settings.salesforce_password,
        security_token=settings.salesforce_security_token,
        consumer_key=settings.salesforce_consumer_key,
        consumer_secret=settings.salesforce_consumer_secret,
        domain=settings.salesforce_domain,
        api_version=settings.salesforce_api_version,
        ca_file=settings.salesforce_ca_file,
    )


def run(full: bool, *, allow_mass_delete: bool = False) -> None:
    """Sync every Salesforce stream; exit 1 on an error that stops the sync, 2 on configuration."""
    settings = settings_or_exit()
    with exit_on_config_error():
        config = salesforce_config(settings)
        try:
            mapping = load_mapping(settings.salesforce_mapping_file)
        except ConfigurationError as exc:
            raise ConfigError(str(exc)) from None
    engine = engine_for(settings)
    streams = build_streams(
        SalesforceApi(config),
        mapping,
        records_per_commit=settings.salesforce_records_per_commit,
        currency=settings.currency,
    )
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks = {s.name: progress.add_task(s.name, total=None) for s in streams}

        def on_page(result: RunResult) -> None:
            stream = next(s for s in streams if s.name == result.stream)
            progress.update(tasks[result.stream], completed=result.records_read, total=stream.expected)

        try:
            results = sync_salesforce(
                engine, streams, full=full, on_page=on_page, sweep_limit=sweep_limit(allow_mass_delete)
            )
        except ConnectorError as exc:
            progress.stop()
            console.print(f"[bold red]sync failed:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
    console.print(sync_summary(f"Salesforce sync ({'full' if full else 'incremental'})", results))
    for r in results:
        for error in [e for e in r.errors if e.get("kind") != "sweep_refused"][:5]:
            console.print(f"  {r.stream}: {error}", highlight=False, markup=False)
    print_sweep_refusals(results)
    if any(r.status == "partial" for r in results):
        console.print("[yellow]partial:[/] the next run resumes from the last committed page")
