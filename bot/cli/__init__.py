"""The `retainer` command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from bot import __version__
from bot.cli import admin as admin_commands
from bot.cli import db as db_commands
from bot.cli import doctor as doctor_commands
from bot.cli import ingest as ingest_commands
from bot.cli import plays as plays_commands
from bot.cli import sandbox as sandbox_commands
from bot.cli import sync as sync_commands
from bot.cli.common import exit_on_config_error, settings_or_exit

app = typer.Typer(
    name="retainer",
    help="A Slack bot for customer-success teams: CRM sync, account health, plays and write-back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(sync_commands.app, name="sync")
app.add_typer(sandbox_commands.app, name="sandbox")
doctor_commands.register(app)
plays_commands.register(app)
app.add_typer(ingest_commands.app, name="ingest")
admin_commands.register(app)

console = Console()


@app.command()
def version() -> None:
    """Print the retainer version."""
    console.print(f"retainer {__version__}")


@app.command()
def run(
    host: str = typer.Option("0.0.0.0", help="Interface for the HTTP endpoint (Slack's requests, ingest)."),  # noqa: S104
) -> None:
    """Run the bot: Slack listeners, and the scheduler (sync, rescore, SLA sweep, digests, outbox)."""
    from bot.runner import start, wait_for_signal
    from bot.wiring import bootstrap

    settings = settings_or_exit()
    with exit_on_config_error():
        settings.require("slack_bot_token", "slack_signing_secret")
        if settings.slack_mode == "socket":
            settings.require("slack_app_token")
        container = bootstrap(settings)
    running = start(container, host=host)
    where = f" at {running.events_url}" if running.events_url else ""
    console.print(f"retainer is running in {settings.slack_mode} mode{where}; Ctrl-C stops it")
    try:
        wait_for_signal()
    finally:
        running.stop()


@app.command()
def demo(
    accounts: int = typer.Option(300, envvar="DEMO_ACCOUNTS", help="Accounts in the seeded portfolio."),
    seed: int = typer.Option(42, help="Portfolio seed."),
    state_dir: Path = typer.Option(Path(".state/demo"), help="Where the demo keeps its state."),
    reset: bool = typer.Option(False, help="Start from a fresh portfolio and empty sandboxes."),
) -> None:
    """Run the whole product against local sandboxes with a seeded portfolio; Ctrl-C stops it."""
    from bot.runner import wait_for_signal
    from sandbox.demo import demo as run_demo

    with run_demo(
        accounts, seed, state_dir, reset, log=lambda line: console.print(f"[dim]demo:[/] {line}")
    ) as d:
        console.print(
            f"[bold green]ready[/] in {d.seconds_to_ready:.0f} s: open [bold]{d.ui_url}[/] "
            "(channels, alerts, App Home, slash commands, CRM panel, time travel). Ctrl-C stops."
        )
        wait_for_signal()
    console.print("demo stopped; `make demo` resumes this state, `make demo-reset` starts afresh")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
