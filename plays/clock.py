"""Time for the plays engine: a Clock protocol (tests pass a FakeClock), durations and business days."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FakeClock:
    """A clock that only moves when told to."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` moved forward by `days` working days (Monday to Friday), keeping the time of day.

    A start on a weekend counts from the next Monday: Saturday + 1 business day is Tuesday."""
    moment = start
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment


_DURATION = re.compile(r"^\s*(\d+)\s*(m|h|d|w|bd)\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar span (`seconds`) or a number of business days; written "30m", "24h", "14d", "2w", "3bd"."""

    seconds: int = 0
    business_days: int = 0

    def after(self, start: datetime) -> datetime:
        if self.business_days:
            return add_business_days(start, self.business_days)
        return start + timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        if self.business_days:
            return f"{self.business_days}bd"
        if not self.seconds:
            return "0h"
        for unit in ("w", "d", "h", "m"):
            if self.seconds % _UNIT_SECONDS[unit] == 0:
                return f"{self.seconds // _UNIT_SECONDS[unit]}{unit}"
        return f"{self.seconds}s"


def parse_duration(text: str) -> Duration:
    """Parse "24h", "14d", "3bd"...; raise ValueError with the accepted forms otherwise."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 24h, 14d, 2w or 3bd for business days)")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "bd":
        return Duration(business_days=amount)
    return Duration(seconds=amount * _UNIT_SECONDS[unit])


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
