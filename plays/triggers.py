"""Trigger evaluation: an account's signals + health + segment -> hits, one per (account, play, reason).

A hit's fingerprint is derived from (account, play, reason) only, so the same condition seen on the next
pass maps to the same alert. Reasons that should fire once per occurrence carry the occurrence in them
(an NPS response id, a renewal date, a departed contact).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from plays.catalog import Catalog, Play
from plays.health import Health
from plays.segments import Segment
from plays.signals import AccountSignals


def fingerprint(account_id: str, play_id: str, reason: str) -> str:
    return hashlib.sha256(f"{account_id}\x1f{play_id}\x1f{reason}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Hit:
    account_id: str
    play_id: str
    reason: str
    severity: str
    summary: str  # one line in words, e.g. "weekly active users −42% vs 4 weeks ago"
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.account_id, self.play_id, self.reason)


def occurs_once(reason: str) -> bool:
    """A reason naming its occurrence (`nps:<response>`, `renewal:<date>`, `window_180:<date>`,
    `champion_left:<contact>`, `anniversary:2y`) is handled once: after its alert resolves it never
    fires again, whatever the cooldown; the next occurrence is a new reason."""
    return ":" in reason


@dataclass(frozen=True, slots=True)
class Finding:
    reason: str
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)


Rule = Callable[[Mapping[str, Any], AccountSignals, Health], list[Finding]]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# One reason for either rule: a drop that first meets the month-over-month rule and a week later the
# two-week rule too is one decline, so one open alert (the rule that matched is in `details["rule"]`).
DECLINE = "decline"


def usage_decline(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    out = []
    wau = s.weeks()
    w0, w1, w4 = wau[0], wau[1], wau[4]
    before = [w for w in wau[2:6] if w is not None]
    if w0 is not None and w1 is not None and len(before) >= 2 and sum(before) > 0:
        base = sum(before) / len(before)
        d0, d1 = 1 - w0 / base, 1 - w1 / base
        limit = p["two_week_decline"] + 1e-9  # strictly more than the threshold, float noise aside
        if d0 > limit and d1 > limit:
            out.append(
                Finding(
                    DECLINE,
                    f"weekly active users −{d1:.0%} and −{d0:.0%} in the last two weeks vs the month before",
                    {
                        "rule": "two_week_decline",
                        "decline_last_week": round(d0, 4),
                        "decline_week_before": round(d1, 4),
                    },
                )
            )
    if w0 is not None and w4:
        drop = 1 - w0 / w4
        if drop >= p["wau_mom_drop"] - 1e-9 and out:  # one decline, one alert: note the MoM drop on it
            first = out[0]
            out[0] = Finding(
                first.reason,
                f"{first.summary}; −{drop:.0%} vs 4 weeks ago",
                {**first.details, "drop": round(drop, 4)},
            )
        elif drop >= p["wau_mom_drop"] - 1e-9:
            out.append(
                Finding(
                    DECLINE,
                    f"weekly active users −{drop:.0%} vs 4 weeks ago ({w4} → {w0})",
                    {"rule": "wau_mom_drop", "drop": round(drop, 4)},
                )
            )
    return out


def ticket_spike(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    if s.tickets_7d >= p["min_tickets_7d"]:
        return [Finding("tickets_7d", f"{s.tickets_7d} support tickets opened in the last 7 days")]
    return []


def nps_detractor(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    if s.nps_score is None or s.nps_at is None or s.nps_score > p["max_score"]:
        return []
    if 0 <= (s.as_of - s.nps_at.date()).days < p["within_days"]:
        return [Finding(f"nps:{s.nps_id}", f"NPS response of {s.nps_score}", {"score": s.nps_score})]
    return []


def renewal_risk(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    days = s.days_to_renewal
    if days is None or not 0 <= days <= p["days_before_renewal"] or s.renewal_date is None:
        return []
    dropped = s.prev_score is not None and s.prev_score - h.score >= p["min_score_drop"]
    if not dropped and h.band not in p["risk_bands"]:
        return []
    why = f"health {s.prev_score} → {h.score}" if dropped else f"health {h.score} ({h.band})"
    return [
        Finding(
            f"renewal:{s.renewal_date.isoformat()}",
            f"renewal in {days} days and {why}",
            {"days_to_renewal": days, "score": h.score, "previous_score": s.prev_score},
        )
    ]


def champion_departure(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    if s.champion_left_on is None or not 0 <= (s.as_of - s.champion_left_on).days < p["within_days"]:
        return []
    single = s.engaged_stakeholders < p["min_engaged_stakeholders"]
    words = f"champion left on {s.champion_left_on.isoformat()}"
    if single:
        words += f"; single-threaded: {s.engaged_stakeholders} engaged stakeholder(s)"
    return [
        Finding(
            f"champion_left:{s.champion_left_contact}",
            words,
            {"single_threaded": single, "engaged_stakeholders": s.engaged_stakeholders},
        )
    ]


def milestone(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    out = []
    if s.contract_start is not None:
        for years in p["anniversary_years"]:
            day = _add_years(s.contract_start, int(years))
            if 0 <= (s.as_of - day).days < p["within_days"]:
                out.append(Finding(f"anniversary:{years}y", f"{years}-year anniversary on {day.isoformat()}"))
    w0, w1 = s.week(0), s.week(1)
    if s.seats and w0 is not None and w1 is not None:
        target = p["utilisation_achievement"]
        if w0 / s.seats >= target > w1 / s.seats:
            out.append(
                Finding("utilisation_achievement", f"weekly active users reached {w0 / s.seats:.0%} of seats")
            )
    return out


def renewal_window(p: Mapping[str, Any], s: AccountSignals, h: Health) -> list[Finding]:
    days = s.days_to_renewal
    if days is None or days < 0 or s.renewal_date is None:
        return []
    for window in sorted(p["windows"]):
        if days <= window:
            return [
                Finding(
                    f"window_{window}:{s.renewal_date.isoformat()}",
                    f"renewal on {s.renewal_date.isoformat()}: {days} days out ({window}-day window)",
                    {"window": window, "days_to_renewal": days},
                )
            ]
    return []


RULES: dict[str, Rule] = {
    "usage_decline": usage_decline,
    "ticket_spike": ticket_spike,
    "nps_detractor": nps_detractor,
    "renewal_risk": renewal_risk,
    "champion_departure": champion_departure,
    "milestone": milestone,
    "renewal_window": renewal_window,
}


def plays_for(catalog: Catalog, tier: str, stage: str) -> tuple[Play, ...]:
    """The plays whose segment filter admits (tier, stage), in catalog order."""
    return tuple(p for p in catalog if tier in p.tiers and stage in p.stages)


def evaluate_play(play: Play, s: AccountSignals, health: Health) -> list[Hit]:
    return [
        Hit(s.account_id, play.id, f.reason, play.severity, f.summary, f.details)
        for f in RULES[play.trigger](play.params, s, health)
    ]


def evaluate(
    catalog: Catalog,
    s: AccountSignals,
    health: Health,
    seg: Segment,
    plays: tuple[Play, ...] | None = None,
) -> list[Hit]:
    """Every play's hits for one account (plays whose segment filter excludes the account are skipped).

    `plays` is `plays_for(catalog, seg.tier, seg.stage)` when the caller already has it (a pass over
    many accounts computes it once per segment)."""
    hits: list[Hit] = []
    for play in plays_for(catalog, seg.tier, seg.stage) if plays is None else plays:
        hits.extend(evaluate_play(play, s, health))
    return hits
