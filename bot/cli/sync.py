"""`retainer sync salesforce|hubspot [--full]`: the CRM connectors register their commands here."""

from __future__ import annotations

import typer

from bot.cli.admin import sync_status_command
from bot.cli.common import exit_on_config_error
from bot.settings import ConfigError

app = typer.Typer(help="Sync accounts, contacts, deals and tickets from a CRM.", no_args_is_help=True)


@app.command()
def salesforce(
    full: bool = typer.Option(False, "--full", help="Reload everything, not just changes."),
) -> None:
    """Sync from Salesforce."""
    with exit_on_config_error():
        raise ConfigError("the Salesforce connector is not built yet in this version")


@app.command()
def hubspot(full: bool = typer.Option(False, "--full", help="Reload everything, not just changes.")) -> None:
    """Sync from HubSpot."""
    with exit_on_config_error():
        raise ConfigError("the HubSpot connector is not built yet in this version")


app.command("status")(sync_status_command)
