"""Deterministic view models for the message tests: one alert per seed play, and the injection name."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from messages.models import Account, Alert, Contact, DigestItem, Driver, Health, SignalValue
from messages.surface_models import (
    AccountCard,
    Activity,
    Bucket,
    DealLine,
    HistoryLine,
    Home,
    Mover,
    OutboxFailure,
    PlaysReport,
    PlayStats,
    PortfolioSummary,
    Stakeholder,
    SyncRunLine,
    SyncStatus,
)
from plays.catalog import PLAY_IDS

INJECTION = "<!channel> *bold* <https://evil|click>"
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


def account_card(text: str | None = None, *, empty: bool = False) -> AccountCard:
    t = (lambda s: f"{text} {s}") if text is not None else (lambda s: s)
    acc = account(text or "Northwind Traders")
    if empty:
        return AccountCard(account=replace(acc, crm_url=None, renewal_date=None))
    return AccountCard(
        account=acc,
        health=alert("usage_decline").health,
        trend=(82, 80, 77, 71, 64, 55, 48),
        stakeholders=(Stakeholder(uid("c1"), t("Sam Ortega"), "exec_sponsor", t("VP Operations")),),
        deals=(DealLine(t("Renewal 2027"), t("Negotiation"), 184_000, date(2027, 1, 25)),),
        activity=(
            Activity("ticket", FIRED, t("SSO login loops")),
            Activity("nps", FIRED, t("3/10: support is slow")),
        ),
        alerts=tuple(HistoryLine(t(f"Play {i}"), "done", FIRED, t("saved")) for i in range(11)),
        outcomes=(HistoryLine(t("Usage decline"), "saved", FIRED, t("training plan agreed")),),
        chart_file_id="F0CHART00001",
    )


def home(role: str = "csm", text: str | None = None, *, empty: bool = False) -> Home:
    if empty:
        return Home(user_id="U0CSM001", role=role)
    name = text or "Northwind Traders"
    alerts = tuple(
        replace(alert(p, name), state=("firing", "claimed", "snoozed")[i % 3]) for i, p in enumerate(PLAY_IDS)
    )
    sync = SyncStatus(
        runs=(
            SyncRunLine("salesforce", "Account", "ok", FIRED, rows=1200, duration_s=8.2),
            SyncRunLine("hubspot", "deals", "failed", FIRED, errors=3, error=f"{name} 429"),
        ),
        pending=4,
        failures=(OutboxFailure(name, "task", 3, f"{name} INVALID_FIELD"),),
    )
    return Home(
        user_id="U0CSM001",
        role=role,
        open_alerts=alerts * 5,
        returning=(replace(alerts[0], state="snoozed", snoozed_until=FIRED),),
        renewals=(Bucket("next 90 days", 3, 410_000, 120_000), Bucket("next 180 days", 7, 900_000)),
        book=(Bucket("healthy", 31, 2_400_000), Bucket("at_risk", 4, 380_000, 380_000)),
        sla_breaches=alerts[:2] if role != "csm" else (),
        sync=sync if role == "admin" else None,
    )


def portfolio(text: str | None = None, *, empty: bool = False) -> PortfolioSummary:
    if empty:
        return PortfolioSummary(scope="your book", accounts=0, arr=0, at_risk_arr=0)
    t = (lambda s: f"{text} {s}") if text is not None else (lambda s: s)
    return PortfolioSummary(
        scope="team" if text is None else text,
        scope_user_id="U0MGR001",
        accounts=412,
        arr=38_400_000,
        at_risk_arr=4_100_000,
        by_band=(
            Bucket("healthy", 301, 29_000_000),
            Bucket("watch", 71, 5_300_000),
            Bucket(t("at_risk"), 40, 4_100_000),
        ),
        by_tier=(
            Bucket("high", 88, 24_000_000, 2_900_000),
            Bucket("mid", 190, 12_000_000, 1_100_000),
            Bucket("tech_touch", 134, 2_400_000, 100_000),
        ),
        renewals=(
            Bucket("next 90 days", 21, 3_100_000, 800_000),
            Bucket("next 120 days", 30, 4_000_000),
            Bucket("next 180 days", 52, 6_900_000),
        ),
        open_alerts_by_age=(Bucket("under 1 day", 14), Bucket("1–3 days", 9), Bucket("over 3 days", 5)),
        sla_breaches=3,
        movers=tuple(Mover(t(f"Account {i}"), -20 + i, t("usage frequency")) for i in range(10)),
    )


def plays_report(text: str | None = None, *, empty: bool = False) -> PlaysReport:
    if empty:
        return PlaysReport(days=30)
    t = (lambda s: f"{text} {s}") if text is not None else (lambda s: s)
    stats = tuple(
        PlayStats(
            t(p.replace("_", " ").capitalize()),
            fires=10 + i,
            median_claim_hours=2.5 + i,
            completion_rate=0.6,
            save_rate=0.42 if i % 2 else None,
            outcomes=(("saved", 4), ("churn_confirmed", 1)),
            arm_lift=6.2 if i == 0 else None,
            arm_ci=(-1.5, 13.9) if i == 0 else None,
            arm_names=("immediate", "delayed_3d") if i == 0 else None,
            arm_sizes=(31, 29) if i == 0 else None,
        )
        for i, p in enumerate(PLAY_IDS)
    )
    return PlaysReport(days=30, plays=stats)


def sync_status(text: str | None = None, *, empty: bool = False) -> SyncStatus:
    if empty:
        return SyncStatus()
    t = (lambda s: f"{text} {s}") if text is not None else (lambda s: s)
    return SyncStatus(
        runs=(
            SyncRunLine("salesforce", "Account", "ok", FIRED, rows=1200, duration_s=8.2),
            SyncRunLine(
                "hubspot",
                "deals",
                "partial",
                FIRED,
                rows=300,
                errors=1,
                duration_s=3.0,
                error=t("ratelimited"),
            ),
        ),
        pending=4,
        failures=(
            OutboxFailure(t("Northwind Traders"), "task", 3, t("INVALID_FIELD: Subject too long")),
            OutboxFailure(t("Contoso"), "note", 8, t("403 Forbidden"), parked=True),
        ),
        activity=(Activity("task", FIRED, t("Logged outcome 'saved' on Northwind Traders")),),
    )
