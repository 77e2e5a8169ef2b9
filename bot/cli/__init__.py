"""The `retainer` command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from bot import __version__
from bot.cli import admin as admin_commands
from bot.cli import db as db_commands
from bot.cli import doctor as doctor_commands
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
admin_commands.register(app)

console = Console()


@app.command()
def version() -> None:
    """Print the retainer version."""
    console.print(f"retainer {__version__}")


@app.command()
def run() -> None:
    """Run the bot: Slack listeners, scheduler (sync, rescore, SLA sweep, digests, outbox)."""
    settings = settings_or_exit()
    with exit_on_config_error():
        settings.require("slack_bot_token", "slack_signing_secret")
        raise ConfigError("`retainer run` needs the Slack bot (not built yet in this version)")


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
