"""What every command shares: loading settings and turning configuration errors into one clear line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings
from connectors.sync import RunResult
from plays.catalog import CatalogError
from store import migrate
from store.db import make_engine
from store.sweep import LIMIT_FRACTION

err_console = Console(stderr=True)


@contextmanager
def exit_on_config_error() -> Iterator[None]:
    try:
        yield
    except (ConfigError, CatalogError) as exc:  # a bad PLAY_CATALOG_DIR is a configuration error too
        err_console.print(f"[bold red]configuration error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def settings_or_exit() -> Settings:
    with exit_on_config_error():
        settings = load_settings()
    configure_logging(settings)
    return settings


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def parse_day(value: str) -> date:
    """A `YYYY-MM-DD` command-line value; anything else is a usage error naming the value."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not a date: {value} (use YYYY-MM-DD)") from None


def day_option(flag: str, help: str) -> Any:
    """An optional `YYYY-MM-DD` option (a bad value is a usage error naming it)."""
    return typer.Option(None, flag, parser=parse_day, metavar="YYYY-MM-DD", help=help)


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def unreachable_reason(engine: Engine) -> str | None:
    """Why DATABASE_URL cannot be connected to, or None when it can."""
    try:
        with engine.connect():
            return None
    except SQLAlchemyError as exc:
        return first_line(getattr(exc, "orig", None) or exc)


def database_problem(engine: Engine, exc: SQLAlchemyError) -> str:
    """One line saying what is wrong with the database behind a failed statement."""
    reason = first_line(getattr(exc, "orig", None) or exc)
    unreachable = unreachable_reason(engine)
    if unreachable is not None:
        return f"cannot reach DATABASE_URL: {unreachable}"
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    except SQLAlchemyError:
        return reason
    if current is None:
        return "the database is not migrated: run `retainer db upgrade`"
    if current != head:
        return f"the database is at revision {current}, the latest is {head}: run `retainer db upgrade`"
    return reason


def print_database_error(message: str) -> None:
    err_console.print(f"[bold red]database error:[/] {escape(message)}", highlight=False, soft_wrap=True)


@contextmanager
def exit_on_database_error(engine: Engine) -> Iterator[None]:
    """An unreachable or un-migrated database (or another database failure) as one line, exit status 1."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        print_database_error(database_problem(engine, exc))
        raise typer.Exit(1) from None


def sweep_limit(allow_mass_delete: bool) -> float | None:
    """The share of a table a full sync may mark deleted (None: any, the admin confirmed it)."""
    return None if allow_mass_delete else LIMIT_FRACTION


def print_sweep_refusals(results: Sequence[RunResult]) -> None:
    """Say, on stderr, where a full sync declined to mark records deleted, and why."""
    for r in results:
        for error in r.errors:
            if error.get("kind") == "sweep_refused":
                err_console.print(
                    f"[bold yellow]{escape(r.stream)}:[/] {escape(error['error'])}",
                    highlight=False,
                    soft_wrap=True,
                )


def sync_summary(title: str, results: Sequence[RunResult]) -> Table:
    """The table every `retainer sync ...` command ends with: one row per stream."""
    table = Table(title=title)
    for name in ("stream", "status", "read", "upserted", "deleted", "rejected", "requests", "seconds"):
        table.add_column(name, justify="left" if name in ("stream", "status") else "right")
    for r in results:
        counts = (r.records_read, r.records_upserted, r.records_deleted, r.records_rejected, r.requests_made)
        table.add_row(r.stream, r.status, *(f"{n:,}" for n in counts), f"{r.seconds:.1f}")
    return table
