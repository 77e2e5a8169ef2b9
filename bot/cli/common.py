"""What every command shares: loading settings and turning configuration errors into one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy import Engine

from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings
from store.db import make_engine

err_console = Console(stderr=True)


@contextmanager
def exit_on_config_error() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        err_console.print(f"[bold red]configuration error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def settings_or_exit() -> Settings:
    with exit_on_config_error():
        settings = load_settings()
    configure_logging(settings)
    return settings


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database_url)
