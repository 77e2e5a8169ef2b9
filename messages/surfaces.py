"""Manager and admin surfaces: the /account card and picker, and App Home. Lists are cut to fit
Slack's limits and say how many were left out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeVar

from messages.actions import (
    AlertAction,
    AlertBlock,
    AlertVerb,
    DigestMode,
    SurfaceAction,
    crm_link_action_id,
)
from messages.blocks import Message, View, file_id_literal, split_stream, url_literal
from messages.env import humanize, plural, render_stream
from messages.models import Account, Alert
from messages.money import money
from messages.surface_models import AccountCard, Bucket, Home, PlaysReport, PortfolioSummary, SyncStatus

T = TypeVar("T")
MAX_LIST: Final = 8
MAX_HOME_ALERTS: Final = 25
MAX_PICKER: Final = 25


def _cut(items: Sequence[T], limit: int = MAX_LIST) -> tuple[tuple[T, ...], int]:
    return tuple(items[:limit]), max(0, len(items) - limit)


def _message(template: str, values: dict[str, Any]) -> Message:
    fallback, _, blocks = split_stream(render_stream(template, values))
    return Message(fallback, tuple(blocks))


def account_card(card: AccountCard) -> Message:
    """The /account answer: health, trend, stakeholders (warning when single-threaded or without a
    champion), deals, recent tickets/NPS, alert history, outcomes and the CRM link."""
    values: dict[str, Any] = {"card": card, "crm_link": url_literal(card.account.crm_url)}
    values["crm_action"] = crm_link_action_id(card.account.id)
    values["chart_file"] = file_id_literal(card.chart_file_id)
    drivers = card.health.drivers if card.health else ()
    values["drivers"] = tuple(sorted(drivers, key=lambda d: (-abs(d.points), d.points))[:3])
    for name in ("stakeholders", "deals", "activity", "alerts", "outcomes"):
        values[name], values[f"{name}_more"] = _cut(getattr(card, name))
    return _message("surfaces/account_card.j2", values)


def account_picker(query: str, candidates: Sequence[Account]) -> Message:
    """When `/account <query>` matches several accounts: a select whose value is the account id."""
    if not candidates:
        raise ValueError("an account picker needs at least one candidate")
    shown, more = _cut(candidates, MAX_PICKER)
    options = [(f"{a.name} · {humanize(a.tier)} · {money(a.arr)}", a.id) for a in shown]
    values = {
        "query": query,
        "options": options,
        "more": more,
        "pick_action": SurfaceAction.ACCOUNT_PICK.value,
    }
    return _message("surfaces/account_picker.j2", values)


def _bucket_text(bucket: Bucket) -> str:
    text = f"{plural(bucket.accounts, 'account')} · {money(bucket.arr)}"
    return f"{text} ({money(bucket.at_risk_arr)} at risk)" if bucket.at_risk_arr else text


DIGEST_OPTIONS: Final = (
    ("Real time", DigestMode.REALTIME.value),
    ("Hourly digest", DigestMode.HOURLY.value),
    ("Daily digest", DigestMode.DAILY.value),
)


def home_view(home: Home) -> View:
    """The App Home tab for `views.publish(user_id=home.user_id, view=home_view(home).as_dict())`."""

    def action(verb: str, alert: Alert) -> str:
        return AlertAction(AlertVerb(verb), alert.id).encode()

    def block(part: str, alert: Alert) -> str:
        return AlertBlock(alert.id, part).encode()

    alerts, alerts_more = _cut(home.open_alerts, MAX_HOME_ALERTS)
    returning, returning_more = _cut(home.returning)
    sla, sla_more = _cut(home.sla_breaches)
    runs, runs_more = _cut(home.sync.runs if home.sync else ())
    buckets = [
        *(("Renewals " + b.label, b) for b in home.renewals),
        *((humanize(b.label).capitalize(), b) for b in home.book),
    ]
    values = {
        "home": home,
        "alerts": alerts,
        "alerts_more": alerts_more,
        "returning": returning,
        "returning_more": returning_more,
        "sla": sla,
        "sla_more": sla_more,
        "runs": runs,
        "runs_more": runs_more,
        "bucket_fields": [(label, _bucket_text(b)) for label, b in buckets[:10]],
        "digest_action": SurfaceAction.DIGEST_MODE.value,
        "digest_options": DIGEST_OPTIONS,
        "digest_initial": next(o for o in DIGEST_OPTIONS if o[1] == home.digest_mode.value),
        "action": action,
        "block": block,
    }
    _, _, blocks = split_stream(render_stream("surfaces/home.j2", values))
    return View({"type": "home", "blocks": blocks})


def portfolio_summary(summary: PortfolioSummary) -> Message:
    """/portfolio for a scope (a CSM's book, a manager's team, a tier or segment filter)."""
    movers, movers_more = _cut(summary.movers)
    return _message("surfaces/portfolio.j2", {"p": summary, "movers": movers, "movers_more": movers_more})


def plays_report(report: PlaysReport) -> Message:
    plays, plays_more = _cut(report.plays, 40)
    return _message("surfaces/plays_report.j2", {"r": report, "plays": plays, "plays_more": plays_more})


def sync_status(status: SyncStatus) -> Message:
    """/sync for CRM admins: last runs, outbox with a "Retry failed" button, and the write-back log."""
    values: dict[str, Any] = {"s": status, "retry_action": SurfaceAction.RETRY_FAILED.value}
    for name in ("runs", "failures", "activity"):
        values[name], values[f"{name}_more"] = _cut(getattr(status, name))  # 8 long lines fit a section
    return _message("surfaces/sync_status.j2", values)
