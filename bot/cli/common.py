"""What every command shares: loading settings and turning configuration errors into one clear line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings
from connectors.sync import RunResult
from plays.catalog import CatalogError
from store.db import make_engine

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


def sync_summary(title: str, results: Sequence[RunResult]) -> Table:
    """The table every `retainer sync ...` command ends with: one row per stream."""
    table = Table(title=title)
    for name in ("stream", "status", "read", "upserted", "deleted", "rejected", "requests", "seconds"):
        table.add_column(name, justify="left" if name in ("stream", "status") else "right")
    for r in results:
        counts = (r.records_read, r.records_upserted, r.records_deleted, r.records_rejected, r.requests_made)
        table.add_row(r.stream, r.status, *(f"{n:,}" for n in counts), f"{r.seconds:.1f}")
    return table
