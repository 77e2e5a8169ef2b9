"""`retainer doctor`."""

from __future__ import annotations

import typer
from rich.console import Console

from bot.cli.common import exit_on_config_error
from bot.doctor import run_checks
from bot.settings import load_settings

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor() -> None:
        """Check configuration, the database and each configured service; exit 1 on any problem."""
        with exit_on_config_error():
            settings = load_settings()
        console.print("[green]ok[/]    config: settings load and validate")
        checks = run_checks(settings)
        for check in checks:
            status = "[dim]skip[/]" if check.skipped else "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
            console.print(f"{status}  {check.name}: {check.message}", highlight=False, soft_wrap=True)
        if not all(c.ok for c in checks):
            raise typer.Exit(1)
