"""Deterministic view models for the message tests: one alert per seed play, and the injection name."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from messages.models import Account, Alert, Contact, DigestItem, Driver, Health, SignalValue

INJECTION = "<!channel> *bold* <https://evil|click>"
PLAY_IDS = (
    "usage_decline",
    "ticket_spike",
    "nps_detractor",
    "renewal_risk",
    "champion_departure",
    "milestone",
    "renewal_window",
)
NS = uuid.UUID("6f1c1f3e-5b1e-4c55-9a43-0e7a4d0c2b11")
FIRED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def uid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


SIGNALS: dict[str, dict[str, SignalValue]] = {
    "usage_decline": {"drop_pct": 38, "window_days": 14, "wau_before": 120, "wau_now": 74},
    "ticket_spike": {"tickets_7d": 6, "baseline": 1, "top_subject": "SSO login loops"},
    "nps_detractor": {"score": 3, "respondent": "Dana Whitfield", "comment": "Support is slow"},
    "renewal_risk": {"days_to_renewal": 84, "health_change": -17},
    "champion_departure": {"champion_name": "Sam Ortega", "champion_title": "VP Operations"},
    "milestone": {"milestone": "One year as a customer"},
    "renewal_window": {"window": 120, "days_to_renewal": 118},
}
REASONS = {
    "usage_decline": "Usage fell more than 30% for two weeks running.",
    "ticket_spike": "Three or more tickets in a week.",
    "nps_detractor": "An NPS score of 0–6 in the last 24 hours.",
    "renewal_risk": "Renewal within 90 days while health is declining.",
    "champion_departure": "The champion contact left the company.",
    "milestone": "The account reached a milestone.",
    "renewal_window": "The account entered a renewal window.",
}
STEPS = (
    "Review the health drivers and recent tickets.",
    "Call the champion within two business days.",
    "Log what you learned with Log outcome.",
)


def account(name: str = "Northwind Traders", **changes: object) -> Account:
    base = Account(
        id=uid("account"),
        name=name,
        arr=184_000,
        tier="high",
        crm_source="salesforce",
        crm_url="https://127.0.0.1:8443/lightning/r/Account/001000000000001AAA/view",
        renewal_date=date(2027, 1, 25),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def alert(play_id: str, name: str = "Northwind Traders", **changes: object) -> Alert:
    base = Alert(
        id=uid(f"alert:{play_id}"),
        play_id=play_id,
        play_name=play_id.replace("_", " ").capitalize(),
        account=account(name),
        reason=REASONS.get(play_id, "The play's trigger matched."),
        severity="critical" if play_id in ("renewal_risk", "champion_departure") else "warning",
        steps=STEPS,
        signals=SIGNALS.get(play_id, {}),
        health=Health(
            score=48,
            band="at_risk",
            drivers=(
                Driver("Usage frequency", -14, "WAU down 38% in two weeks"),
                Driver("Support tickets", -6, "6 tickets in 7 days"),
                Driver("NPS", 2),
                Driver("Contract", -1),
            ),
        ),
        owner_slack_id="U0CSM001",
        fired_at=FIRED,
        due_at=datetime(2026, 11, 3, 9, 30, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def tainted_alert(play_id: str, text: str, **changes: object) -> Alert:
    """An alert whose every CRM- or person-derived string carries `text`."""
    base = alert(play_id, text, **changes)
    return replace(
        base,
        reason=f"{text} {base.reason}",
        steps=tuple(f"{text} {s}" for s in base.steps),
        signals={k: (f"{text} {v}" if isinstance(v, str) else v) for k, v in base.signals.items()}
        | {"champion_name": text, "replacement_name": text, "top_subject": text, "comment": text},
        account=replace(base.account, tier=text, crm_source=text),
        health=replace(
            base.health,
            band=text,
            drivers=tuple(replace(d, label=text, detail=text) for d in base.health.drivers),
        )
        if base.health
        else None,
        false_positive_reason=text,
    )


def contacts(text: str | None = None) -> tuple[Contact, ...]:
    if text is not None:
        return tuple(Contact(uid(f"c{i}"), f"{text} {i}", text, text) for i in range(3))
    return (
        Contact(uid("c1"), "Sam Ortega", "VP Operations", "sam@northwind.example"),
        Contact(uid("c2"), "Priya Nair", "Director of Support", "priya@northwind.example"),
        Contact(uid("c3"), "Lee Chen", "", "lee@northwind.example"),
    )


def digest_items(name: str = "Northwind Traders", count: int = 5, tainted: bool = False) -> list[DigestItem]:
    items = []
    for i in range(count):
        play = PLAY_IDS[i % len(PLAY_IDS)]
        acc = i % 3
        items.append(
            DigestItem(
                alert_id=uid(f"d{i}"),
                play_id=play,
                play_name=f"{name} {play}" if tainted else play.replace("_", " ").capitalize(),
                account_id=uid(f"acc{acc}"),
                account_name=name if acc == 0 else f"Account {acc}",
                reason=f"{name} {REASONS[play]}" if tainted else REASONS[play],
                severity="critical" if play == "renewal_risk" else "warning",
                arr=10_000 * (acc + 1),
            )
        )
    return items
