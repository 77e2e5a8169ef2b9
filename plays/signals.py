"""What the engine knows about one account on one day: the plain input of scoring and triggers.

Week k (k = 0, 1, ...) is the 7 days ending `as_of - 7k` (both ends inclusive of whole days), so
`wau[0]` is the latest week and `wau[4]` the same week one month earlier. The store builds these with
set-based SQL for the live check; the backtest builds them from a timeline, using only data up to as_of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

WEEKS = 8  # weeks of usage history the engine looks at


@dataclass(frozen=True, slots=True)
class AccountSignals:
    account_id: str
    as_of: date
    arr: float | None = None
    contract_start: date | None = None
    renewal_date: date | None = None
    wau: tuple[int | None, ...] = ()  # weekly active users per week back; None = no usage data that week
    seats: int | None = None
    feature_events_4w: int = 0  # key-feature events over weeks 0..3
    tickets_7d: int = 0
    tickets_28d: int = 0
    urgent_tickets_28d: int = 0  # priority high or urgent
    nps_score: int | None = None  # the latest response up to as_of
    nps_id: str | None = None
    nps_at: datetime | None = None
    engaged_stakeholders: int = 0  # contacts holding a current role who have not left
    has_champion: bool = False
    champion_left_contact: str | None = None  # the latest champion role to end (on or before as_of)
    champion_left_on: date | None = None
    arr_change: float | None = None  # latest contract's ARR vs the previous one, as a fraction (-0.2)
    prev_score: int | None = None  # the health score about four weeks earlier

    def week(self, k: int) -> int | None:
        return self.wau[k] if k < len(self.wau) else None

    def weeks(self) -> tuple[int | None, ...]:
        """`wau` padded with None to WEEKS entries (a backtest early in the history has fewer)."""
        wau = self.wau
        return wau if len(wau) >= WEEKS else (*wau, *(None,) * (WEEKS - len(wau)))

    @property
    def days_to_renewal(self) -> int | None:
        return None if self.renewal_date is None else (self.renewal_date - self.as_of).days
