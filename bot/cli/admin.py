"""CRM-admin commands: `retainer sync status`, `retainer outbox list|retry`, `retainer audit`.

They print rich tables from the same service functions `/sync` uses (`bot.services.admin`,
`bot.services.audit_trail`). CRM-derived text is shown as plain `Text`, never interpreted as rich markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.cli.common import (
    database_problem,
    engine_for,
    err_console,
    print_database_error,
    settings_or_exit,
)
from bot.services.admin import WAITING_STATES, outbox_view, retry_outbox, sync_status
from bot.services.audit_trail import AccountNotFound, audit_trail, resolve_account
from store.models import OUTBOX_STATES
from store.uow import unit_of_work

console = Console()
outbox_app = typer.Typer(
    help="The CRM write-back outbox: what waits, what failed, retry.", no_args_is_help=True
)

_STATUS_STYLE = {"ok": "green", "partial": "yellow", "failed": "red", "running": "cyan"}


@contextmanager
def _session() -> Iterator[Session]:
    """A unit of work on DATABASE_URL, with unreachable or unmigrated databases as one clear line."""
    engine = engine_for(settings_or_exit())
    try:
        with unit_of_work(engine) as session:
            yield session
    except (OperationalError, ProgrammingError) as exc:
        print_database_error(database_problem(engine, exc))
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def sync_status_command() -> None:
    """Last sync run per source and stream: status, counts, duration and errors."""
    with _session() as session:
        streams = sync_status(session)
    if not streams:
        console.print("No sync has run yet. Run `retainer sync salesforce` or `retainer sync hubspot`.")
        return
    table = Table(title="Sync status (last run per stream)")
    for column in ("source", "stream", "status", "started", "duration", "read", "upserted", "deleted",
                   "rejected", "last ok", "errors"):  # fmt: skip
        table.add_column(
            column, justify="right" if column in ("read", "upserted", "deleted", "rejected") else "left"
        )
    for s in streams:
        errors = Text("; ".join(str(e.get("error", e)) if isinstance(e, dict) else str(e) for e in s.errors))
        if s.error_count > len(s.errors):
            errors.append(f" (+{s.error_count - len(s.errors)} more)")
        table.add_row(
            s.source,
            Text(s.stream),
            Text(s.status, style=_STATUS_STYLE.get(s.status, "")),
            _when(s.started_at),
            f"{s.duration_s:.1f}s" if s.duration_s is not None else "-",
            f"{s.records_read:,}",
            f"{s.records_upserted:,}",
            f"{s.records_deleted:,}",
            f"{s.records_rejected:,}",
            _when(s.last_ok_at),
            errors,
        )
    console.print(table)


@outbox_app.command("list")
def outbox_list(
    state: list[str] = typer.Option(
        None, "--state", "-s", help=f"Only items in this state (repeatable): {', '.join(OUTBOX_STATES)}."
    ),
    limit: int = typer.Option(50, help="Show at most this many items."),
) -> None:
    """Write-backs waiting (pending), failing (failed, with the CRM's error) or parked."""
    states = state or list(WAITING_STATES)
    unknown = sorted(set(states) - set(OUTBOX_STATES))
    if unknown:
        err_console.print(f"[bold red]unknown state[/] {', '.join(unknown)}: use {', '.join(OUTBOX_STATES)}")
        raise typer.Exit(2)
    with _session() as session:
        view = outbox_view(session, states, limit=limit)
    console.print("  ".join(f"{name}: {count}" for name, count in view.counts))
    if not view.items:
        console.print(f"No write-backs in state {', '.join(states)}.")
        return
    table = Table(title="Outbox")
    for column in (
        "id",
        "state",
        "target",
        "kind",
        "account",
        "attempts",
        "created",
        "next attempt",
        "error",
    ):
        table.add_column(column)
    for item in view.items:
        table.add_row(
            item.id,
            item.state,
            item.target,
            item.kind,
            Text(item.account_name or "-"),
            str(item.attempts),
            _when(item.created_at),
            _when(item.next_attempt_at) if item.state in ("pending", "failed") else "-",
            Text(item.last_error or ""),
        )
    console.print(table)


@outbox_app.command("retry")
def outbox_retry(
    ids: list[str] = typer.Argument(None, help="Item ids; none = every failed or parked item."),
) -> None:
    """Put failed or parked write-backs back in the queue now."""
    with _session() as session:
        result = retry_outbox(session, ids or ())
    console.print(f"requeued {result.requeued} write-back(s)")
    if result.not_retryable:
        err_console.print(f"not failed or parked (left alone): {', '.join(result.not_retryable)}")
        raise typer.Exit(1)


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def audit_command(
    account: str | None = typer.Option(None, "--account", help="Account name or CRM id."),
    since: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="From this day (UTC)."),
    until: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="Up to and including this day."),
    limit: int = typer.Option(200, help="Show at most this many entries."),
) -> None:
    """Audit trail: who did what to alerts, and what the bot wrote to the CRM."""
    with _session() as session:
        account_ids = None
        if account is not None:
            try:
                account_ids = [resolve_account(session, account)[0]]
            except AccountNotFound as exc:
                err_console.print(Text(str(exc)))
                raise typer.Exit(1) from None
        entries = audit_trail(
            session, account_ids=account_ids, since=_day(since), until=_day(until), limit=limit
        )
    if not entries:
        console.print("Nothing in the audit trail for that filter.")
        return
    table = Table(title=f"Audit trail ({len(entries)} entries, newest first)")
    for column in ("when (UTC)", "kind", "account", "actor", "action", "detail"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            _when(e.at), e.kind, Text(e.account_name or "-"), Text(e.actor), e.action, Text(e.detail)
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
    app.command("audit")(audit_command)
