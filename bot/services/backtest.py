"""`run_backtest`: replay the store's history week by week with the live engine, no look-ahead.

Each week's signals come from `plays.timeline.signals_at`, which reads only data dated on or before that
week. Ground truth is the store's closed renewal deals: Closed Lost = churned, Closed Won = renewed.
The health AUC scores each outcome with the health computed `lead_days` before it (the last replayed week
at least that early); precision/recall per play count a fire within `horizon_days` before an outcome.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine

from plays.backtest import PlayScore, RenewalOutcome, auc, score_play
from plays.catalog import Catalog, Play
from plays.health import HealthConfig, load_health_config, score
from plays.segments import SegmentConfig, load_segment_config, segment
from plays.signals import WEEKS
from plays.timeline import AccountTimeline, RoleSpell, UsagePoint, signals_at
from plays.triggers import evaluate, occurs_once
from store.history import load_history
from store.uow import unit_of_work


@dataclass
class BacktestReport:
    start: date
    end: date
    weeks: int
    accounts: int
    outcomes: int
    churned: int
    scored_outcomes: int
    auc: float | None
    lead_days: int
    horizon_days: int
    plays: list[PlayScore] = field(default_factory=list)
    first_alert_lead_days: float | None = None  # median days from the first risk alert to churn
    seconds: float = 0.0


def _refire_day(play: Play, reason: str, fired: date) -> date:
    """The first day a fingerprint fired on `fired` may fire again, as the live lifecycle would let it
    with nobody acting on the alert: once the alert has expired and the play's cooldown has passed. A
    reason naming its occurrence (`renewal:<date>`, `nps:<response>`...) fires once per occurrence."""
    if occurs_once(reason):
        return date.max
    expired = play.expire_after.after(datetime(fired.year, fired.month, fired.day, tzinfo=UTC))
    return play.cooldown.after(expired).date()


def _contract_start(account: Any, deals: list[Any]) -> date | None:
    """The account's contract start, else the close date of its first won new-business deal. Renewal and
    expansion deals never count: a store holding only the renewal would start the account in the future."""
    if account.contract_start is not None:
        return cast(date, account.contract_start)
    won = [d.close_date for d in deals if d.kind == "new_business" and d.is_closed and d.is_won]
    return min(won, default=None)


def _timelines(history: dict[str, Any]) -> tuple[list[AccountTimeline], list[RenewalOutcome]]:
    timelines, outcomes = [], []
    for a in history["accounts"]:
        deals = history["deals"].get(a.id, [])
        renewals = {d.close_date for d in deals if d.kind == "renewal"}
        if a.renewal_date:
            renewals.add(a.renewal_date)
        for d in deals:
            if d.kind == "renewal" and d.is_closed:
                outcomes.append(RenewalOutcome(a.id, d.close_date, not d.is_won))
        timelines.append(
            AccountTimeline(
                account_id=a.id,
                arr=float(a.arr) if a.arr is not None else None,
                contract_start=_contract_start(a, deals),
                renewal_dates=tuple(sorted(renewals)),
                usage=tuple(
                    UsagePoint(u.day, u.active, u.key_feature_events, u.licensed_seats)
                    for u in history["usage"].get(a.id, [])
                ),
                tickets=tuple((t.opened_at, t.priority) for t in history["tickets"].get(a.id, [])),
                nps=tuple((n.responded_at, n.score, n.external_id) for n in history["nps"].get(a.id, [])),
                roles=tuple(
                    RoleSpell(r.contact_id, r.role, r.valid_from, r.valid_to, r.left_company_at)
                    for r in history["roles"].get(a.id, [])
                ),
            )
        )
    return timelines, outcomes


def run_backtest(
    engine: Engine,
    catalog: Catalog,
    end: date,
    *,
    weeks: int = 52,
    lead_days: int = 30,
    horizon_days: int = 120,
    health_config: HealthConfig | None = None,
    segment_config: SegmentConfig | None = None,
) -> BacktestReport:
    started = time.perf_counter()
    hc, sc = health_config or load_health_config(), segment_config or load_segment_config()
    start = end - timedelta(weeks=weeks - 1)
    with unit_of_work(engine) as session:
        history = load_history(session, start - timedelta(weeks=WEEKS + 1))
    timelines, all_outcomes = _timelines(history)
    outcomes = [o for o in all_outcomes if start + timedelta(days=lead_days) <= o.on <= end]
    gone = {o.account_id: o.on for o in all_outcomes if o.churned}
    scores: dict[str, dict[date, int]] = defaultdict(dict)
    fires: dict[str, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    quiet_until: dict[str, date] = {}  # fingerprint -> first day it may fire again
    for week in range(weeks):
        day = start + timedelta(weeks=week)
        for tl in timelines:
            churned_on = gone.get(tl.account_id)
            if (churned_on is not None and churned_on < day) or (
                tl.contract_start and tl.contract_start > day
            ):
                continue
            s = signals_at(tl, day, scores[tl.account_id].get(day - timedelta(weeks=4)))
            h = score(s, hc)
            scores[tl.account_id][day] = h.score
            for hit in evaluate(catalog, s, h, segment(s, h.band, sc)):
                if day < quiet_until.get(hit.fingerprint, day):
                    continue  # its alert is still open (dedup), or in its cooldown
                fires[hit.play_id][hit.account_id].append(day)
                quiet_until[hit.fingerprint] = _refire_day(catalog[hit.play_id], hit.reason, day)
    risk, positive = [], []
    for o in outcomes:
        by_day = scores.get(o.account_id, {})
        known = [d for d in by_day if d <= o.on - timedelta(days=lead_days)]
        if known:
            risk.append(100 - by_day[max(known)])
            positive.append(o.churned)
    any_play: dict[str, list[date]] = defaultdict(list)
    for play_id, per_account in fires.items():
        if catalog[play_id].severity == "info":  # readiness windows and milestones are not risk alerts
            continue
        for account, days in per_account.items():
            any_play[account].extend(days)
    overall = score_play("any", any_play, outcomes, horizon_days)
    return BacktestReport(
        start=start,
        end=end,
        weeks=weeks,
        accounts=len(timelines),
        outcomes=len(outcomes),
        churned=sum(o.churned for o in outcomes),
        scored_outcomes=len(risk),
        auc=round(auc(risk, positive), 4) if 0 < sum(positive) < len(positive) else None,
        lead_days=lead_days,
        horizon_days=horizon_days,
        plays=[score_play(p.id, fires.get(p.id, {}), outcomes, horizon_days) for p in catalog],
        first_alert_lead_days=overall.median_lead_days,
        seconds=time.perf_counter() - started,
    )
