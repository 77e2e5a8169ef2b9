"""`retainer sync salesforce|hubspot [--full]`: the CRM connectors register their commands here."""

from __future__ import annotations

import typer

from bot.cli.admin import sync_status_command
from bot.cli.common import exit_on_config_error, settings_or_exit

app = typer.Typer(help="Sync accounts, contacts, deals and tickets from a CRM.", no_args_is_help=True)

FULL = typer.Option(
    False, "--full", help="Reload everything, not just changes, and mark deleted what is gone."
)
MASS_DELETE = typer.Option(
    False,
    "--allow-mass-delete",
    help="With --full: mark deleted every record the CRM no longer returns, even more than 10% of a table "
    "(refused otherwise, as that usually means lost access).",
)


@app.command()
def salesforce(full: bool = FULL, allow_mass_delete: bool = MASS_DELETE) -> None:
    """Sync from Salesforce."""
    from bot.cli.salesforce_sync import run

    run(full, allow_mass_delete=allow_mass_delete)


@app.command()
def hubspot(full: bool = FULL, allow_mass_delete: bool = MASS_DELETE) -> None:
    """Sync from HubSpot."""
    from bot.cli.hubspot_sync import run_hubspot_sync

    settings = settings_or_exit()
    with exit_on_config_error():
        settings.require("hubspot_access_token")
    raise typer.Exit(run_hubspot_sync(settings, full=full, allow_mass_delete=allow_mass_delete))


app.command("status")(sync_status_command)
