"""The `retainer` command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from bot import __version__
from bot.cli import db as db_commands
from bot.cli import doctor as doctor_commands
from bot.cli import ingest as ingest_commands
from bot.cli import plays as plays_commands
from bot.cli import sandbox as sandbox_commands
from bot.cli import sync as sync_commands
from bot.cli.common import exit_on_config_error, settings_or_exit
from bot.settings import ConfigError

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
def demo(reset: bool = typer.Option(False, help="Start from a fresh portfolio and empty sandboxes.")) -> None:
    """Run the whole product against local sandboxes with a seeded portfolio."""
    with exit_on_config_error():
        raise ConfigError("`retainer demo` needs the sandboxes (not built yet in this version)")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
