"""`retainer ingest usage|nps|contracts FILE` and `retainer ingest coverage`.

Rows name their account by `account_id` (ours), by `source` + `crm_id`, or by `domain`; see
`bot/ingest/records.py` for each kind's columns. Bad rows are listed with their line numbers and the
good ones loaded in one transaction (with --strict, one bad row loads nothing); exit status 1 if any
row was rejected.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import day_option, engine_for, err_console, exit_on_database_error, settings_or_exit
from bot.ingest.load import IngestResult, ingest_text
from bot.ingest.records import detect_format
from store.coverage import SIGNALS, coverage
from store.uow import unit_of_work

app = typer.Typer(help="Load usage, NPS and contract signals from CSV or NDJSON files.", no_args_is_help=True)
console = Console()

_FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A .csv or .ndjson file.")
_STRICT = typer.Option(False, "--strict", help="Load nothing if any row is bad.")
_FORMAT = typer.Option(None, "--format", help="csv or ndjson (default: from the file name).")


def _run(kind: str, path: Path, strict: bool, fmt: str | None) -> None:
    settings = settings_or_exit()
    try:
        fmt = fmt or detect_format(path.name)
        text = path.read_text(encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        err_console.print(f"[bold red]cannot read {path}:[/] {exc}")
        raise typer.Exit(2) from None
    engine = engine_for(settings)
    with exit_on_database_error(engine):
        result = ingest_text(engine, kind, text, fmt, strict=strict)
    _report(path, result, strict)


def _report(path: Path, result: IngestResult, strict: bool) -> None:
    for error in result.errors:
        err_console.print(f"{path}:{error.line}: {error.message}", highlight=False, soft_wrap=True)
    if strict and result.errors:
        console.print(f"{len(result.errors)} bad row(s): nothing loaded (--strict)")
    else:
        console.print(
            f"loaded {result.loaded} {result.kind} row(s) for {len(result.account_ids)} account(s); "
            f"rejected {len(result.errors)}"
        )
    if result.errors:
        raise typer.Exit(1)


@app.command()
def usage(file: Path = _FILE, strict: bool = _STRICT, fmt: str | None = _FORMAT) -> None:
    """Usage: day, active_users and/or weekly_active_users, key_feature_events, licensed_seats."""
    _run("usage", file, strict, fmt)


@app.command()
def nps(file: Path = _FILE, strict: bool = _STRICT, fmt: str | None = _FORMAT) -> None:
    """NPS: external_id, score 0-10, responded_at (ISO 8601 with time zone), comment, contact_email."""
    _run("nps", file, strict, fmt)


@app.command()
def contracts(file: Path = _FILE, strict: bool = _STRICT, fmt: str | None = _FORMAT) -> None:
    """Contracts: external_id, start_date, end_date, arr, currency, status (active|ended|cancelled)."""
    _run("contracts", file, strict, fmt)


@app.command("coverage")
def show_coverage(
    as_of: date | None = day_option("--as-of", "Day to measure at (default: today)."),
) -> None:
    """Profile coverage: % of live accounts per CRM source that each signal covers."""
    engine = engine_for(settings_or_exit())
    day = as_of or datetime.now(UTC).date()
    with exit_on_database_error(engine), unit_of_work(engine) as session:
        figures = coverage(session, day)
    sources = sorted(figures)
    table = Table(title="signal coverage (% of live accounts)")
    table.add_column("signal")
    for source in sources:
        table.add_column(source, justify="right")
    table.add_row("accounts", *(f"{figures[src]['accounts']:,}" for src in sources))
    for name in SIGNALS:
        table.add_row(name, *(f"{figures[src][name]:.1f}%" for src in sources))
    console.print(table)
