"""`retainer check` (one scoring + trigger pass now) and `retainer backtest` (replay history)."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import day_option, engine_for, err_console, exit_on_database_error, settings_or_exit
from bot.services.backtest import BacktestReport, run_backtest
from bot.services.check import CheckSummary, EngineConfig, run_check
from bot.services.scoring_pool import pool_for
from plays.catalog import Catalog, CatalogError, load_catalog
from plays.clock import SystemClock
from store.db import make_engine
from store.migrate import upgrade
from store.scoring_inputs import changed_accounts
from store.uow import unit_of_work

console = Console()


def _catalog_or_exit(directory: Path | None) -> Catalog:
    try:
        return load_catalog(directory)
    except CatalogError as exc:
        err_console.print(f"[bold red]{exc}[/]", highlight=False)
        raise typer.Exit(2) from None


def print_check(summary: CheckSummary) -> None:
    console.print(
        f"checked {summary.accounts:,} accounts as of {summary.as_of} in {summary.seconds:.2f} s: "
        f"{summary.fired} new alerts, {summary.refreshed} still open, {summary.snapshots_written:,} snapshots"
    )
    bands = ", ".join(
        f"{band} {summary.bands.get(band, 0):,}" for band in ("healthy", "watch", "at_risk", "critical")
    )
    console.print(f"health: {bands}")
    if summary.fired_by_play:
        console.print("fired: " + ", ".join(f"{p} {n}" for p, n in sorted(summary.fired_by_play.items())))
    if summary.suppressed:
        console.print("not fired: " + ", ".join(f"{r} {n}" for r, n in sorted(summary.suppressed.items())))
    if summary.transitions:
        console.print("transitions: " + ", ".join(f"{a} {n}" for a, n in sorted(summary.transitions.items())))
    if summary.digests:
        console.print(
            f"digests: {len(summary.digests)} message(s) to "
            f"{len({d.channel for d in summary.digests})} channel(s)"
        )


def print_backtest(report: BacktestReport) -> None:
    console.print(
        f"backtest {report.start} .. {report.end} ({report.weeks} weeks, {report.accounts:,} accounts) "
        f"in {report.seconds:.1f} s"
    )
    console.print(
        f"renewal outcomes: {report.outcomes:,} ({report.churned:,} churned); "
        f"scored {report.scored_outcomes:,} with the health {report.lead_days} days before"
    )
    console.print(
        f"[bold]health AUC vs churn: {report.auc}[/]" if report.auc is not None else "health AUC: n/a"
    )
    table = Table(title=f"plays vs churn (a fire within {report.horizon_days} days before an outcome)")
    for col in ("play", "flagged", "churned", "precision", "recall", "median lead (days)"):
        table.add_column(col, justify="left" if col == "play" else "right")
    for p in report.plays:
        table.add_row(
            p.play_id,
            str(p.flagged),
            str(p.true_positives),
            "-" if p.precision is None else f"{p.precision:.2f}",
            "-" if p.recall is None else f"{p.recall:.2f}",
            "-" if p.median_lead_days is None else f"{p.median_lead_days:.0f}",
        )
    console.print(table)
    if report.first_alert_lead_days is not None:
        console.print(f"median lead time, first risk alert -> churn: {report.first_alert_lead_days:.0f} days")


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        account: list[str] = typer.Option([], "--account", help="Only this account id (repeatable)."),
        changed_minutes: int = typer.Option(
            0,
            "--changed-within",
            help="Only accounts whose CRM rows, tickets or NPS changed in the last N minutes.",
        ),
        catalog_dir: Path | None = typer.Option(
            None, "--catalog", help="A play catalog folder (default: PLAY_CATALOG_DIR, else shipped)."
        ),
    ) -> None:
        """Run one scoring + trigger pass now (the scheduler job's body) and print a summary."""
        settings = settings_or_exit()
        engine = engine_for(settings)
        config = EngineConfig(
            _catalog_or_exit(catalog_dir or settings.play_catalog_dir),
            default_channel=settings.default_alert_channel,
        )
        ids: list[str] | None = list(account) or None
        with exit_on_database_error(engine):
            if changed_minutes:
                with unit_of_work(engine) as session:
                    since = datetime.now(UTC) - timedelta(minutes=changed_minutes)
                    ids = sorted(set(ids or []) | set(changed_accounts(session, since)))
            pool = pool_for(engine, settings.rescore_workers) if ids is None else None
            try:
                summary = run_check(engine, config, SystemClock(), account_ids=ids, pool=pool)
            finally:
                if pool is not None:
                    pool.close()
        print_check(summary)

    @app.command()
    def backtest(
        accounts: int = typer.Option(
            0, "--accounts", help="Backtest a fresh synthetic portfolio of N accounts."
        ),
        seed: int = typer.Option(42, "--seed", help="Seed of the synthetic portfolio."),
        weeks: int = typer.Option(52, "--weeks", min=5, help="Weeks of history to replay."),
        lead_days: int = typer.Option(
            30, "--lead-days", help="Score each outcome with the health this early."
        ),
        horizon_days: int = typer.Option(
            120, "--horizon-days", help="A fire this close before an outcome counts."
        ),
        end: date | None = day_option("--end", "Last replayed day (default: today, or the portfolio's)."),
    ) -> None:
        """Replay history week by week (no look-ahead): health AUC, precision/recall per play, lead time.

        Without --accounts it replays the configured store; with --accounts N it loads the synthetic
        portfolio into a temporary SQLite store first."""
        catalog = _catalog_or_exit(None)
        if accounts:
            from rich.progress import track

            from sandbox.portfolio import DEFAULT_AS_OF, generate
            from sandbox.store_loader import load_portfolio

            with tempfile.TemporaryDirectory() as tmp:
                engine = make_engine(f"sqlite:///{Path(tmp) / 'backtest.db'}")
                upgrade(engine)
                stream = track(generate(accounts, seed=seed), total=accounts, description="loading portfolio")
                load_portfolio(engine, stream)
                last = end or DEFAULT_AS_OF
                report = run_backtest(
                    engine, catalog, last, weeks=weeks, lead_days=lead_days, horizon_days=horizon_days
                )
                engine.dispose()
        else:
            engine = engine_for(settings_or_exit())
            last = end or datetime.now(UTC).date()
            with exit_on_database_error(engine):
                report = run_backtest(
                    engine, catalog, last, weeks=weeks, lead_days=lead_days, horizon_days=horizon_days
                )
        print_backtest(report)
