"""`/portfolio`: the numbers a manager (or CSM) wants about a set of accounts, from a handful of grouped
queries (never a per-account loop), returned as frozen dataclasses for the message builders.

    scope = resolve_scope(session, "team", viewer="U1", role=Role.MANAGER)
    summary = portfolio_summary(session, scope, today=date(2026, 11, 2), now=...)

Health is each account's latest `health_snapshots` row; accounts never scored count as "unscored".
At-risk ARR is the ARR of accounts in the at_risk and critical bands. Renewal windows are cumulative
(the 120-day window includes the 90-day one). Open alerts are firing, claimed or snoozed; an SLA breach
is a firing alert whose `due_at` has passed. Top movers compare the latest score with the latest one
at least seven days older.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.services.health_sql import AT_RISK_BANDS, BANDS, UNSCORED, join_latest
from bot.services.scope import TIERS, Scope, account_ids, restrict, tier_expr
from store.models import OPEN_ALERT_STATES, Account, Alert, HealthSnapshot
from store.types import utcnow

RENEWAL_WINDOWS = (90, 120, 180)
ALERT_AGE_BUCKETS = (("<1d", 0, 1), ("1-3d", 1, 3), ("3-7d", 3, 7), ("7d+", 7, None))
MOVER_LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class Figures:
    accounts: int = 0
    arr: Decimal = Decimal(0)
    at_risk_arr: Decimal = Decimal(0)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.accounts + other.accounts, self.arr + other.arr, self.at_risk_arr + other.at_risk_arr
        )


@dataclass(frozen=True)
class RenewalWindow:
    days: int
    totals: Figures
    by_band: tuple[tuple[str, Figures], ...]


@dataclass(frozen=True)
class UpcomingRenewal:
    account_id: str
    name: str
    renewal_date: date
    days_left: int
    arr: Decimal
    score: int | None
    band: str


@dataclass(frozen=True)
class AlertAge:
    label: str
    open: int
    sla_breaches: int


@dataclass(frozen=True)
class Mover:
    account_id: str
    name: str
    score: int
    previous_score: int
    change: int
    band: str
    drivers: tuple[Any, ...]


@dataclass(frozen=True)
class PortfolioSummary:
    scope_label: str
    scope_user_id: str | None
    today: date
    totals: Figures
    by_band: tuple[tuple[str, Figures], ...]  # BANDS then "unscored"
    by_tier: tuple[tuple[str, Figures], ...]  # high, mid, tech
    renewals: tuple[RenewalWindow, ...]  # 90, 120, 180 days (cumulative)
    upcoming_renewals: tuple[UpcomingRenewal, ...]
    open_alerts: tuple[AlertAge, ...]
    movers: tuple[Mover, ...]

    @property
    def is_empty(self) -> bool:
        return self.totals.accounts == 0

    @property
    def open_alert_count(self) -> int:
        return sum(a.open for a in self.open_alerts)

    @property
    def sla_breaches(self) -> int:
        return sum(a.sla_breaches for a in self.open_alerts)


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _with_latest(
    session: Session, scope: Scope, today: date, *, outer: bool = True
) -> tuple[Select[Any], type[HealthSnapshot]]:
    """The scope's accounts joined to their latest snapshot; callers pick the columns."""
    query = restrict(select(Account.id).select_from(Account), scope, today)
    return join_latest(query, _dialect(session), account_ids=_narrowing(scope, today), outer=outer)


def _narrowing(scope: Scope, today: date) -> Select[Any] | None:
    """The scope's ids when it is narrower than the whole book (PostgreSQL then scans fewer snapshots)."""
    narrow = scope.owners is not None or scope.tier is not None or scope.renewal_within_days is not None
    return account_ids(scope, today) if narrow else None


Groups = list[tuple[str, str, int | None, Figures]]  # (band, tier, renewal window, figures)


def _grouped_figures(session: Session, scope: Scope, today: date) -> Groups:
    """(band, tier, renewal window, figures) groups: at most 5 x 3 x 4 rows whatever the book's size."""
    base, latest = _with_latest(session, scope, today)
    bucket = case(
        *((Account.renewal_date <= today + timedelta(days=days), literal(days)) for days in RENEWAL_WINDOWS),
        else_=literal(None),
    )
    per_account = base.with_only_columns(
        func.coalesce(latest.band, UNSCORED).label("band"),
        tier_expr().label("tier"),
        case((Account.renewal_date >= today, bucket), else_=literal(None)).label("window"),
        Account.arr.label("arr"),
        maintain_column_froms=False,
    ).subquery()
    rows = session.execute(
        select(
            per_account.c.band,
            per_account.c.tier,
            per_account.c.window,
            func.count(),
            func.sum(per_account.c.arr),
        ).group_by(per_account.c.band, per_account.c.tier, per_account.c.window)
    )
    out = []
    for band, tier, window, count, arr in rows:
        money = _money(arr)
        out.append(
            (band, tier, window, Figures(count, money, money if band in AT_RISK_BANDS else Decimal(0)))
        )
    return out


def _sum(
    groups: Groups, band: str | None = None, tier: str | None = None, within: int | None = None
) -> Figures:
    """Add up the groups matching a band, a tier and/or renewing within a window (None: any)."""
    total = Figures()
    for g_band, g_tier, g_window, figures in groups:
        if (
            (band is None or g_band == band)
            and (tier is None or g_tier == tier)
            and (within is None or (g_window is not None and g_window <= within))
        ):
            total += figures
    return total


def _upcoming(session: Session, scope: Scope, today: date, limit: int) -> tuple[UpcomingRenewal, ...]:
    within = min(scope.renewal_within_days or RENEWAL_WINDOWS[-1], RENEWAL_WINDOWS[-1])
    base, latest = _with_latest(session, replace(scope, renewal_within_days=within), today)
    query = base.with_only_columns(
        Account.id, Account.name, Account.renewal_date, Account.arr, latest.score, latest.band
    )
    rows = session.execute(
        query.order_by(Account.renewal_date, Account.arr.desc(), Account.name).limit(limit)
    )
    return tuple(
        UpcomingRenewal(
            r.id,
            r.name,
            r.renewal_date,
            (r.renewal_date - today).days,
            _money(r.arr),
            r.score,
            r.band or UNSCORED,
        )
        for r in rows
    )


def _open_alerts(session: Session, scope: Scope, today: date, now: datetime) -> tuple[AlertAge, ...]:
    """Open alerts the CSMs have, by age since delivery: an alert a timing experiment still holds back
    is not with anyone yet, so it is not counted (its SLA also runs from delivery)."""
    delivered = func.coalesce(Alert.deliver_at, Alert.fired_at)
    age = case(
        *(
            (delivered > now - timedelta(days=upper), literal(label))
            for label, _lower, upper in ALERT_AGE_BUCKETS
            if upper is not None
        ),
        else_=literal(ALERT_AGE_BUCKETS[-1][0]),
    )
    breach = case((Alert.state == "firing", case((Alert.due_at < now, 1), else_=0)), else_=0)
    per_alert = restrict(
        select(age.label("age"), breach.label("breach"))
        .select_from(Alert)
        .join(Account, Account.id == Alert.account_id)
        .where(Alert.state.in_(OPEN_ALERT_STATES), or_(Alert.deliver_at.is_(None), Alert.deliver_at <= now)),
        scope,
        today,
    ).subquery()
    counts = {
        label: (count, int(breaches or 0))
        for label, count, breaches in session.execute(
            select(per_alert.c.age, func.count(), func.sum(per_alert.c.breach)).group_by(per_alert.c.age)
        )
    }
    return tuple(AlertAge(label, *counts.get(label, (0, 0))) for label, _lo, _up in ALERT_AGE_BUCKETS)


def _movers(session: Session, scope: Scope, today: date, limit: int) -> tuple[Mover, ...]:
    base, current = _with_latest(session, scope, today, outer=False)
    query, before = join_latest(
        base,
        _dialect(session),
        as_of=today - timedelta(days=MOVER_LOOKBACK_DAYS),
        account_ids=_narrowing(scope, today),
        outer=False,
    )
    change = current.score - before.score
    query = query.with_only_columns(
        Account.id,
        Account.name,
        current.score,
        before.score.label("previous"),
        change.label("change"),
        current.band,
        current.drivers,
    ).where(current.as_of > before.as_of, current.score != before.score)
    rows = session.execute(query.order_by(func.abs(change).desc(), Account.name).limit(limit))
    return tuple(
        Mover(r.id, r.name, r.score, r.previous, r.change, r.band, tuple(r.drivers or ())) for r in rows
    )


def portfolio_summary(
    session: Session,
    scope: Scope,
    today: date,
    *,
    now: datetime | None = None,
    upcoming_limit: int = 10,
    movers_limit: int = 5,
) -> PortfolioSummary:
    """Everything `/portfolio` shows for `scope`. `now` (default: the current time) ages the alerts."""
    now = now or utcnow()
    groups = _grouped_figures(session, scope, today)
    return PortfolioSummary(
        scope_label=scope.label,
        scope_user_id=scope.user_id,
        today=today,
        totals=_sum(groups),
        by_band=tuple((band, _sum(groups, band=band)) for band in (*BANDS, UNSCORED)),
        by_tier=tuple((tier, _sum(groups, tier=tier)) for tier in TIERS),
        renewals=tuple(
            RenewalWindow(
                days,
                _sum(groups, within=days),
                tuple((band, _sum(groups, band=band, within=days)) for band in (*BANDS, UNSCORED)),
            )
            for days in RENEWAL_WINDOWS
        ),
        upcoming_renewals=_upcoming(session, scope, today, upcoming_limit),
        open_alerts=_open_alerts(session, scope, today, now),
        movers=_movers(session, scope, today, movers_limit),
    )
