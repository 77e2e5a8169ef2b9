"""`retainer sync hubspot`: run the HubSpot streams with a progress bar and print a summary table."""

from __future__ import annotations

from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import engine_for, err_console, print_sweep_refusals, sweep_limit, sync_summary
from bot.settings import Settings
from connectors.errors import AuthError, ConnectorError
from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.client import HubSpotConfig, connect
from connectors.hubspot.runner import OBJECT_STREAMS, StreamOptions, build_streams, sync_hubspot
from connectors.sync import RunResult


def run_hubspot_sync(settings: Settings, *, full: bool, allow_mass_delete: bool = False) -> int:
    """Returns the exit code: 0 done (rejected records are listed in sync_runs), 1 failed or stopped."""
    assert isinstance(settings.hubspot_access_token, SecretStr)
    client = connect(HubSpotConfig(access_token=settings.hubspot_access_token, host=settings.hubspot_host))
    calls = HubSpotCalls(client)
    engine = engine_for(settings)
    console = Console()
    try:
        with Progress(
            TextColumn("{task.description:<13}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            tasks = {}
            for name in (*OBJECT_STREAMS, "associations"):
                total = calls.total(name) if full and name in OBJECT_STREAMS else None
                tasks[name] = progress.add_task(name, total=total)

            def on_page(result: RunResult) -> None:
                progress.update(tasks[result.stream], completed=result.records_read)

            results = sync_hubspot(
                engine,
                build_streams(engine, calls, options=StreamOptions(currency=settings.currency)),
                full=full,
                on_page=on_page,
                sweep_limit=sweep_limit(allow_mass_delete),
            )
            for task in progress.tasks:
                progress.update(task.id, total=task.completed or 1, completed=task.completed or 1)
        stopped = any(e.get("kind") == "rate_limited" for r in results for e in r.errors)
    except AuthError as exc:
        err_console.print(f"[bold red]authentication failed:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    except ConnectorError as exc:
        err_console.print(f"[bold red]sync failed:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    finally:
        engine.dispose()
    console.print(sync_summary("HubSpot sync", results))
    print_sweep_refusals(results)
    if stopped:
        err_console.print("[bold yellow]stopped at HubSpot's rate limit:[/] run again to resume")
    return 1 if stopped else 0
