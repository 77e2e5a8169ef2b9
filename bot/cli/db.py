"""`retainer db upgrade|current|revision`: the schema, through Alembic."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from bot.cli.common import engine_for, err_console, settings_or_exit
from store import migrate

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
console = Console()


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    settings = settings_or_exit()
    engine = engine_for(settings)
    try:
        migrate.upgrade(engine, revision)
        console.print(
            f"database at revision {migrate.current_revision(engine)} ({engine.url.render_as_string()})"
        )
    except OperationalError as exc:
        err_console.print(f"[bold red]database error:[/] cannot reach DATABASE_URL: {exc.orig}")
        raise typer.Exit(1) from None


@app.command()
def current() -> None:
    """Print the database's revision and the latest one."""
    settings = settings_or_exit()
    engine = engine_for(settings)
    console.print(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision(engine)}")


@app.command()
def revision(message: str = typer.Option(..., "-m", "--message")) -> None:
    """Autogenerate a migration from the models (for developers)."""
    settings = settings_or_exit()
    migrate.revision(engine_for(settings), message)
