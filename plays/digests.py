"""Digest scheduling policy: when a user's (or channel's) queued alerts are delivered, and how grouped.

Pure functions of (preferences, last delivery, now, queue); no I/O. The caller keeps the queue and
removes only the ids of a digest it has actually sent, so nothing is lost between digests: an item is
either in the digest that is due now or still queued for a later one.

Modes (the user sets one in App Home):
- ``realtime``: deliver as soon as something is queued, inside active hours.
- ``hourly``: at most one digest per local clock hour, inside active hours.
- ``daily``: one digest per local day, at the first moment inside active hours (09:00 when no active
  hours are set).

Active hours ("09-18") are local to the user's timezone: start hour inclusive, end hour exclusive;
"22-06" wraps past midnight; "00-24" is all day. Outside them nothing is delivered and items wait.
Local times come from ``zoneinfo``, so daylight-saving changes shift the window with the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DIGEST_MODES = ("realtime", "hourly", "daily")
PLAY_ORDER = (
    "renewal_risk",
    "champion_departure",
    "usage_decline",
    "ticket_spike",
    "nps_detractor",
    "renewal_window",
    "milestone",
)
DEFAULT_DAILY_HOUR = 9


class DigestConfigError(ValueError):
    """A user's digest preferences cannot be understood (unknown mode, bad hours, unknown timezone)."""


@dataclass(frozen=True, slots=True)
class ActiveHours:
    start: int  # 0-23, inclusive
    end: int  # 1-24, exclusive; end < start wraps past midnight

    def contains(self, hour: int) -> bool:
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


ALL_DAY = ActiveHours(0, 24)


def parse_active_hours(text: str | None) -> ActiveHours:
    """ "09-18" -> ActiveHours(9, 18); None or "" -> all day. Raises DigestConfigError otherwise."""
    if not text:
        return ALL_DAY
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise DigestConfigError(f"active hours {text!r}: expected 'HH-HH', e.g. '09-18'")
    start, end = int(parts[0]), int(parts[1])
    if not (0 <= start <= 23 and 1 <= end <= 24) or start == end:
        raise DigestConfigError(f"active hours {text!r}: hours must be 00-23 to 01-24 and differ")
    return ActiveHours(start, end)


@dataclass(frozen=True, slots=True)
class DigestPrefs:
    mode: str
    active_hours: ActiveHours
    timezone: ZoneInfo

    @classmethod
    def parse(cls, mode: str, active_hours: str | None, timezone: str) -> DigestPrefs:
        if mode not in DIGEST_MODES:
            raise DigestConfigError(f"digest mode {mode!r}: expected one of {', '.join(DIGEST_MODES)}")
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise DigestConfigError(f"timezone {timezone!r} is not an IANA timezone name") from exc
        return cls(mode, parse_active_hours(active_hours), zone)


@dataclass(frozen=True, slots=True)
class QueuedItem:
    id: str
    play_id: str
    account_id: str
    account_name: str
    queued_at: datetime
    summary: str = ""


@dataclass(frozen=True, slots=True)
class AccountGroup:
    account_id: str
    account_name: str
    items: tuple[QueuedItem, ...]


@dataclass(frozen=True, slots=True)
class PlayGroup:
    play_id: str
    accounts: tuple[AccountGroup, ...]

    @property
    def item_count(self) -> int:
        return sum(len(a.items) for a in self.accounts)


@dataclass(frozen=True, slots=True)
class DigestDecision:
    due: bool
    # nothing_queued | outside_active_hours | before_send_time | already_sent | realtime | hourly_slot |
    # daily_slot
    reason: str
    groups: tuple[PlayGroup, ...] = ()

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The ids the caller removes from the queue once the digest has been sent."""
        return tuple(item.id for g in self.groups for a in g.accounts for item in a.items)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass timezone-aware datetimes")
    return moment.astimezone(zone)


def in_active_hours(prefs: DigestPrefs, now: datetime) -> bool:
    return prefs.active_hours.contains(_local(now, prefs.timezone).hour)


def _slot_start(prefs: DigestPrefs, now: datetime) -> datetime:
    """The start (UTC) of the delivery slot `now` falls in: its local hour, or its local day's send time."""
    local = _local(now, prefs.timezone)
    if prefs.mode == "hourly":
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    hours = prefs.active_hours
    send_hour = DEFAULT_DAILY_HOUR if hours == ALL_DAY else hours.start
    day = local.date()
    if hours.start > hours.end and local.hour < hours.end:
        day -= timedelta(days=1)  # after midnight inside a wrapping window: the slot began yesterday
    return datetime.combine(day, time(send_hour), prefs.timezone).astimezone(UTC)


def group_items(items: Iterable[QueuedItem]) -> tuple[PlayGroup, ...]:
    """Group by play (catalog order, unknown plays after, by id) then account (by name); oldest first."""
    by_play: dict[str, dict[str, list[QueuedItem]]] = {}
    for item in items:
        by_play.setdefault(item.play_id, {}).setdefault(item.account_id, []).append(item)

    def play_rank(play_id: str) -> tuple[int, str]:
        return (PLAY_ORDER.index(play_id) if play_id in PLAY_ORDER else len(PLAY_ORDER), play_id)

    groups = []
    for play_id in sorted(by_play, key=play_rank):
        accounts = [
            AccountGroup(acc_items[0].account_id, acc_items[0].account_name, tuple(acc_items))
            for acc_items in (sorted(v, key=lambda i: (i.queued_at, i.id)) for v in by_play[play_id].values())
        ]
        accounts.sort(key=lambda a: (a.account_name.casefold(), a.account_id))
        groups.append(PlayGroup(play_id, tuple(accounts)))
    return tuple(groups)


def decide(
    prefs: DigestPrefs, last_sent_at: datetime | None, now: datetime, queue: Sequence[QueuedItem]
) -> DigestDecision:
    """Whether a digest is due at `now`, and if so which queued items go in it (all queued by `now`)."""
    ready = {item.id: item for item in queue if item.queued_at <= now}
    if not ready:
        return DigestDecision(False, "nothing_queued")
    if not in_active_hours(prefs, now):
        return DigestDecision(False, "outside_active_hours")
    if prefs.mode == "realtime":
        reason = "realtime"
    else:
        slot = _slot_start(prefs, now)
        if now < slot:
            return DigestDecision(False, "before_send_time")
        if last_sent_at is not None and last_sent_at >= slot:
            return DigestDecision(False, "already_sent")
        reason = "hourly_slot" if prefs.mode == "hourly" else "daily_slot"
    return DigestDecision(True, reason, group_items(ready.values()))
