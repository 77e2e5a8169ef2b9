"""`retainer db upgrade|current|revision`: the schema, through Alembic."""

from __future__ import annotations

import typer
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import (
    engine_for,
    err_console,
    exit_on_database_error,
    first_line,
    print_database_error,
    settings_or_exit,
    unreachable_reason,
)
from store import migrate

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
console = Console()


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    settings = settings_or_exit()
    engine = engine_for(settings)
    unreachable = unreachable_reason(engine)
    if unreachable is not None:
        print_database_error(f"cannot reach DATABASE_URL: {unreachable}")
        raise typer.Exit(1)
    try:
        migrate.upgrade(engine, revision)
        console.print(
            f"database at revision {migrate.current_revision(engine)} ({engine.url.render_as_string()})"
        )
    except CommandError as exc:
        problem = f"no such revision: {revision}" if isinstance(exc.__cause__, ResolutionError) else str(exc)
        err_console.print(f"[bold red]cannot upgrade:[/] {escape(problem)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        reason = first_line(getattr(exc, "orig", None) or exc)
        print_database_error(f"migration to {revision} failed: {reason}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command()
def current() -> None:
    """Print the database's revision and the latest one."""
    settings = settings_or_exit()
    engine = engine_for(settings)
    with exit_on_database_error(engine):
        console.print(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision(engine)}")


@app.command()
def revision(message: str = typer.Option(..., "-m", "--message")) -> None:
    """Autogenerate a migration from the models (for developers)."""
    settings = settings_or_exit()
    engine = engine_for(settings)
    with exit_on_database_error(engine):
        migrate.revision(engine, message)
