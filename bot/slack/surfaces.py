"""Service dataclasses -> the view models `messages.surfaces` renders. No queries here except the alert
views App Home needs (through `alert_views`, which reads by id); every function is a plain mapping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.services import account_card as card_svc
from bot.services import portfolio as portfolio_svc
from bot.services.admin import OutboxLine, OutboxView, StreamStatus
from bot.services.home import HomeData
from bot.services.plays_report import PlayEffect
from bot.slack.alert_views import alert_views, driver
from bot.slack.publisher import Rendering
from messages import models as view
from messages import surface_models as sm
from messages.actions import DigestMode
from plays.catalog import Catalog
from plays.digests import DIGEST_MODES
from plays.segments import touch_tier


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _play_name(catalog: Catalog, play_id: str) -> str:
    play = catalog.plays.get(play_id)
    return play.name if play else play_id


def _bucket(label: str, figures: portfolio_svc.Figures) -> sm.Bucket:
    return sm.Bucket(label, figures.accounts, figures.arr, figures.at_risk_arr)


def _driver_text(drivers: Sequence[object]) -> str:
    return "; ".join(d.label for d in (driver(x) for x in drivers[:2]) if d.label)


def portfolio_model(summary: portfolio_svc.PortfolioSummary) -> sm.PortfolioSummary:
    return sm.PortfolioSummary(
        scope=summary.scope_label,
        accounts=summary.totals.accounts,
        arr=summary.totals.arr,
        at_risk_arr=summary.totals.at_risk_arr,
        by_band=tuple(_bucket(band, f) for band, f in summary.by_band if f.accounts),
        by_tier=tuple(_bucket(tier, f) for tier, f in summary.by_tier if f.accounts),
        renewals=tuple(_bucket(f"next {w.days} days", w.totals) for w in summary.renewals),
        open_alerts_by_age=tuple(sm.Bucket(a.label, a.open) for a in summary.open_alerts if a.open),
        sla_breaches=summary.sla_breaches,
        movers=tuple(sm.Mover(m.name, m.change, _driver_text(m.drivers)) for m in summary.movers),
        scope_user_id=summary.scope_user_id,
    )


def account_model(card: card_svc.AccountCard | card_svc.AccountMatch, rendering: Rendering) -> view.Account:
    arr = card.arr or 0
    return view.Account(
        id=card.account_id,
        name=card.name,
        arr=arr,
        tier=touch_tier(float(arr), rendering.segments),
        crm_source=card.source,
        crm_url=rendering.links.account_url(card.source, card.crm_id),
        renewal_date=card.renewal_date if isinstance(card, card_svc.AccountCard) else None,
    )


def card_model(card: card_svc.AccountCard, rendering: Rendering) -> sm.AccountCard:
    catalog = rendering.catalog
    health = None
    if card.health is not None:
        drivers = tuple(driver(d) for d in card.health.drivers)
        health = view.Health(card.health.score, card.health.band, drivers)
    activity = [
        *(
            sm.Activity("ticket", _aware(t.opened_at), f"{t.subject} ({t.status or 'open'})")
            for t in card.recent_tickets
        ),
        *(
            sm.Activity(
                "nps",
                _aware(n.responded_at),
                f"NPS {n.score}: {n.comment}" if n.comment else f"NPS {n.score}",
            )
            for n in card.recent_nps
        ),
    ]
    activity.sort(key=lambda a: a.at, reverse=True)
    return sm.AccountCard(
        account=account_model(card, rendering),
        health=health,
        trend=tuple(p.score for p in card.trend),
        stakeholders=tuple(
            sm.Stakeholder(s.contact_id, s.name, role, s.title or "")
            for s in card.stakeholders
            if s.engaged
            for role in s.roles
        ),
        deals=tuple(sm.DealLine(d.name, d.stage or "", d.amount or 0, d.close_date) for d in card.open_deals),
        activity=tuple(activity),
        alerts=tuple(
            sm.HistoryLine(_play_name(catalog, a.play_id), a.state, _aware(a.fired_at), a.reason)
            for a in card.alerts
        ),
        outcomes=tuple(
            sm.HistoryLine(_play_name(catalog, o.play_id), o.result, _aware(o.logged_at), o.what_was_done)
            for o in card.outcomes
        ),
    )


def plays_model(effects: Sequence[PlayEffect], days: int, catalog: Catalog) -> sm.PlaysReport:
    lines = []
    for effect in effects:
        s, lift = effect.stats, effect.lift
        claim_minutes = s.median_claim_minutes
        lines.append(
            sm.PlayStats(
                play_name=_play_name(catalog, s.play_id),
                fires=s.fires,
                median_claim_hours=claim_minutes / 60 if claim_minutes is not None else None,
                completion_rate=s.completion_rate,
                save_rate=s.save_rate,
                outcomes=effect.outcomes,
                arm_lift=lift.lift * 100 if lift else None,
                arm_ci=(lift.low * 100, lift.high * 100) if lift else None,
                arm_names=effect.arms,
                arm_sizes=(lift.control_n, lift.treated_n) if lift else None,
                arm_significant=lift.significant if lift else False,
            )
        )
    return sm.PlaysReport(days, tuple(lines))


def _run_line(run: StreamStatus) -> sm.SyncRunLine:
    first = run.errors[0] if run.errors else None
    error = str(first.get("error", first)) if isinstance(first, dict) else str(first or "")
    return sm.SyncRunLine(
        source=run.source,
        stream=run.stream,
        status=run.status,
        finished_at=_aware(run.finished_at) if run.finished_at else None,
        rows=run.records_upserted,
        errors=run.error_count,
        duration_s=run.duration_s or 0.0,
        error=error,
    )


def _written(line: OutboxLine) -> sm.Activity:
    sent = line.sent_at or line.created_at
    record = f" → {line.crm_record_id}" if line.crm_record_id else ""
    summary = f"{line.account_name or 'no account'} in {line.target}{record}"
    return sm.Activity(line.kind.replace("_", " "), _aware(sent), summary)


def sync_model(
    runs: Sequence[StreamStatus], outbox: OutboxView, written: Sequence[OutboxLine] = ()
) -> sm.SyncStatus:
    return sm.SyncStatus(
        runs=tuple(_run_line(r) for r in runs),
        pending=outbox.count("pending"),
        failures=tuple(
            sm.OutboxFailure(
                i.account_name or "no account", i.kind, i.attempts, i.last_error or "", i.state == "parked"
            )
            for i in outbox.items
            if i.state in ("failed", "parked")
        ),
        activity=tuple(_written(line) for line in written),
    )


def home_model(session: Session, data: HomeData, rendering: Rendering) -> sm.Home:
    ids = (*data.open_alert_ids, *data.returning_ids, *data.sla_breach_ids)
    r = rendering
    views = alert_views(session, list(dict.fromkeys(ids)), r.catalog, r.segments, r.links)

    def pick(alert_ids: Sequence[str]) -> tuple[view.Alert, ...]:
        return tuple(views[i] for i in alert_ids if i in views)

    book = portfolio_model(data.book)
    return sm.Home(
        user_id=data.user_id,
        role=data.role.value,
        digest_mode=DigestMode(data.digest_mode) if data.digest_mode in DIGEST_MODES else DigestMode.REALTIME,
        open_alerts=pick(data.open_alert_ids),
        returning=pick(data.returning_ids),
        renewals=book.renewals if book.accounts else (),
        book=book.by_band,
        sla_breaches=pick(data.sla_breach_ids),
        sync=sync_model(data.sync, data.outbox) if data.sync is not None and data.outbox else None,
    )
