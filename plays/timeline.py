"""An account's history as plain data, and `signals_at(timeline, day)`: the signals as they were known
on `day`, computed from data dated on or before it only (the backtest's guard against look-ahead)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from plays.signals import WEEKS, AccountSignals

URGENT_PRIORITIES = ("high", "urgent")
NPS_LOOKBACK_DAYS = 366  # responses older than this are not "the latest response"


@dataclass(frozen=True, slots=True)
class UsagePoint:
    day: date
    active: int | None  # weekly active users if known, else the day's active users
    events: int
    seats: int | None


@dataclass(frozen=True, slots=True)
class RoleSpell:
    contact_id: str
    role: str
    valid_from: date
    valid_to: date | None
    contact_left_on: date | None


def _gone_on(r: RoleSpell) -> date | None:
    """When the role holder was gone: the role ended or the person left the company, the earlier."""
    ends = [d for d in (r.valid_to, r.contact_left_on) if d is not None]
    return min(ends) if ends else None


@dataclass(frozen=True, slots=True)
class AccountTimeline:
    account_id: str
    arr: float | None
    contract_start: date | None
    renewal_dates: tuple[date, ...]  # every renewal date known (deals and the account), ascending
    usage: tuple[UsagePoint, ...]  # ascending by day
    tickets: tuple[tuple[datetime, str | None], ...]  # (opened_at, priority), ascending
    nps: tuple[tuple[datetime, int, str], ...]  # (responded_at, score, id), ascending
    roles: tuple[RoleSpell, ...] = ()
    _days: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _opened: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_days", tuple(u.day for u in self.usage))
        object.__setattr__(self, "_opened", tuple(t for t, _ in self.tickets))

    def renewal_at(self, day: date) -> date | None:
        """The next renewal on or after `day`, else the last one."""
        i = bisect_right(self.renewal_dates, day - timedelta(days=1))
        if i < len(self.renewal_dates):
            return self.renewal_dates[i]
        return self.renewal_dates[-1] if self.renewal_dates else None


def _count_between(stamps: tuple[datetime, ...], start: datetime, end: datetime) -> int:
    return bisect_left(stamps, end) - bisect_left(stamps, start)


def signals_at(tl: AccountTimeline, day: date, prev_score: int | None = None) -> AccountSignals:
    """What the store would have said about this account on `day`, from data dated up to `day` only."""
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    wau: list[int | None] = [None] * WEEKS
    events, seats = 0, None
    first_day = day - timedelta(days=7 * WEEKS)
    days = tl._days
    for u in tl.usage[bisect_right(days, first_day) : bisect_right(days, day)]:
        k = (day - u.day).days // 7
        if u.active is not None:
            wau[k] = u.active if wau[k] is None else max(wau[k] or 0, u.active)
        if k < 4:
            events += u.events
        if u.seats is not None:
            seats = u.seats if seats is None else max(seats, u.seats)
    opened = tl._opened
    week_ago, month_ago = end - timedelta(days=7), end - timedelta(days=28)
    lo, hi = bisect_left(opened, month_ago), bisect_left(opened, end)
    urgent = sum(1 for _, p in tl.tickets[lo:hi] if p in URGENT_PRIORITIES)
    latest = None
    for n in reversed(tl.nps):
        if n[0] < end:
            latest = n if n[0] >= end - timedelta(days=NPS_LOOKBACK_DAYS) else None
            break
    current = [
        r
        for r in tl.roles
        if r.valid_from <= day
        and (r.valid_to is None or r.valid_to > day)
        and (r.contact_left_on is None or r.contact_left_on > day)
    ]
    # a champion with a spell still current (another CRM record giving them the role) is not gone
    held = {r.contact_id for r in current if r.role == "champion"}
    ended = [
        (gone, r.contact_id)
        for r in tl.roles
        if r.role == "champion"
        and r.valid_from <= day
        and (gone := _gone_on(r)) is not None
        and gone <= day
        and r.contact_id not in held
    ]
    left = max(ended) if ended else None
    return AccountSignals(
        account_id=tl.account_id,
        as_of=day,
        arr=tl.arr,
        contract_start=tl.contract_start,
        renewal_date=tl.renewal_at(day),
        wau=tuple(wau),
        seats=seats,
        feature_events_4w=events,
        tickets_7d=_count_between(opened, week_ago, end),
        tickets_28d=hi - lo,
        urgent_tickets_28d=urgent,
        nps_score=latest[1] if latest else None,
        nps_at=latest[0] if latest else None,
        nps_id=latest[2] if latest else None,
        engaged_stakeholders=len({r.contact_id for r in current}),
        has_champion=any(r.role == "champion" for r in current),
        champion_left_contact=left[1] if left else None,
        champion_left_on=left[0] if left else None,
        prev_score=prev_score,
    )
