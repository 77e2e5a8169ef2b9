"""Every seed play's threshold edges, evaluated by the pure engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plays.catalog import Catalog, load_catalog
from plays.segments import STAGES, TIERS, Segment
from plays.triggers import evaluate, evaluate_play, fingerprint, plays_for
from tests.plays_helpers import AS_OF, health, signals


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def reasons(catalog: Catalog, play_id: str, s: object, h: object = None) -> list[str]:
    return [hit.reason for hit in evaluate_play(catalog[play_id], s, h or health())]  # type: ignore[arg-type]


def rules(catalog: Catalog, s: object) -> list[str]:
    """Which usage-decline rule matched (both share the reason `decline`)."""
    return [str(hit.details["rule"]) for hit in evaluate_play(catalog["usage_decline"], s, health())]  # type: ignore[arg-type]


@pytest.mark.parametrize(("weekly", "fires"), [(71, False), (70, False), (69, True)])
def test_usage_decline_two_weeks_29_vs_31_percent(catalog: Catalog, weekly: int, fires: bool) -> None:
    s = signals(wau=(weekly, weekly, 100, 100, 100, 100, 100, 100))
    assert ("two_week_decline" in rules(catalog, s)) is fires


def test_usage_decline_needs_both_weeks(catalog: Catalog) -> None:
    s = signals(wau=(60, 75, 100, 100, 100, 100, 100, 100))
    assert "two_week_decline" not in rules(catalog, s)


@pytest.mark.parametrize(("latest", "fires"), [(61, False), (60, True), (40, True)])
def test_usage_decline_wau_month_over_month(catalog: Catalog, latest: int, fires: bool) -> None:
    s = signals(wau=(latest, 95, 95, 95, 100, 100, 100, 100))
    assert ("wau_mom_drop" in rules(catalog, s)) is fires


def test_usage_decline_meeting_both_rules_is_one_alert(catalog: Catalog) -> None:
    s = signals(wau=(40, 50, 100, 100, 100, 100, 100, 100))
    hits = evaluate_play(catalog["usage_decline"], s, health())  # type: ignore[arg-type]
    assert [(h.reason, h.details["rule"]) for h in hits] == [("decline", "two_week_decline")]
    assert "vs 4 weeks ago" in hits[0].summary


def test_a_decline_that_meets_the_second_rule_a_week_later_keeps_its_one_alert(catalog: Catalog) -> None:
    """First only the month-over-month drop holds; a week later the two-week rule holds too. It is the
    same decline: the same fingerprint, so the open alert is refreshed rather than a second one fired."""
    first = evaluate_play(
        catalog["usage_decline"], signals(wau=(50, 100, 100, 100, 100, 100, 100, 100)), health()
    )  # type: ignore[arg-type]
    later = evaluate_play(
        catalog["usage_decline"], signals(wau=(50, 50, 100, 100, 100, 100, 100, 100)), health()
    )  # type: ignore[arg-type]
    assert [h.details["rule"] for h in first] == ["wau_mom_drop"]
    assert [h.details["rule"] for h in later] == ["two_week_decline"]
    assert first[0].fingerprint == later[0].fingerprint


@pytest.mark.parametrize(("tickets", "fires"), [(2, False), (3, True)])
def test_ticket_spike_2_vs_3_tickets(catalog: Catalog, tickets: int, fires: bool) -> None:
    assert bool(reasons(catalog, "ticket_spike", signals(tickets_7d=tickets, tickets_28d=tickets))) is fires


@pytest.mark.parametrize(("score", "fires"), [(7, False), (6, True), (0, True)])
def test_nps_detractor_6_vs_7(catalog: Catalog, score: int, fires: bool) -> None:
    s = signals(nps_score=score, nps_id="N1", nps_at=datetime(2026, 11, 1, 15, tzinfo=UTC))
    assert (reasons(catalog, "nps_detractor", s) == ["nps:N1"]) is fires


def test_nps_detractor_ignores_old_responses(catalog: Catalog) -> None:
    old = datetime(2026, 10, 26, 15, tzinfo=UTC)  # 7 days before as_of: outside the 7-day window
    assert reasons(catalog, "nps_detractor", signals(nps_score=2, nps_id="N1", nps_at=old)) == []


@pytest.mark.parametrize(("days", "fires"), [(89, True), (90, True), (91, False)])
def test_renewal_risk_89_90_91_days(catalog: Catalog, days: int, fires: bool) -> None:
    s = signals(renewal_date=AS_OF + timedelta(days=days), prev_score=70)
    assert bool(reasons(catalog, "renewal_risk", s, health(55, "watch"))) is fires


def test_renewal_risk_needs_declining_or_risky_health(catalog: Catalog) -> None:
    s = signals(renewal_date=AS_OF + timedelta(days=60), prev_score=70)
    assert reasons(catalog, "renewal_risk", s, health(61, "watch")) == []  # a 9-point drop: not enough
    assert reasons(catalog, "renewal_risk", s, health(60, "watch")) != []  # a 10-point drop
    assert reasons(catalog, "renewal_risk", signals(renewal_date=s.renewal_date), health(30, "critical"))


@pytest.mark.parametrize(
    ("days", "window"), [(181, None), (180, 180), (121, 180), (91, 120), (90, 90), (89, 90)]
)
def test_renewal_window_180_120_90(catalog: Catalog, days: int, window: int | None) -> None:
    renewal = AS_OF + timedelta(days=days)
    got = reasons(catalog, "renewal_window", signals(renewal_date=renewal))
    assert got == ([] if window is None else [f"window_{window}:{renewal.isoformat()}"])


@pytest.mark.parametrize(("days_ago", "fires"), [(0, True), (29, True), (30, False)])
def test_champion_departure_window(catalog: Catalog, days_ago: int, fires: bool) -> None:
    s = signals(champion_left_contact="c-9", champion_left_on=AS_OF - timedelta(days=days_ago))
    assert (reasons(catalog, "champion_departure", s) == ["champion_left:c-9"]) is fires


@pytest.mark.parametrize(("engaged", "single"), [(2, True), (3, False)])
def test_champion_departure_flags_single_threaded(catalog: Catalog, engaged: int, single: bool) -> None:
    s = signals(champion_left_contact="c-9", champion_left_on=AS_OF, engaged_stakeholders=engaged)
    (hit,) = evaluate_play(catalog["champion_departure"], s, health())
    assert hit.details["single_threaded"] is single
    assert ("single-threaded" in hit.summary) is single


@pytest.mark.parametrize(("start_days_ago", "fires"), [(365, True), (371, True), (372, False), (364, False)])
def test_milestone_one_year_anniversary(catalog: Catalog, start_days_ago: int, fires: bool) -> None:
    s = signals(contract_start=AS_OF - timedelta(days=start_days_ago), wau=(10,) * 8)
    assert ("anniversary:1y" in reasons(catalog, "milestone", s)) is fires


def test_milestone_usage_achievement_fires_on_crossing_only(catalog: Catalog) -> None:
    crossing = signals(seats=100, wau=(90, 89, 80, 80, 80, 80, 80, 80), contract_start=None)
    staying = signals(seats=100, wau=(95, 92, 80, 80, 80, 80, 80, 80), contract_start=None)
    assert reasons(catalog, "milestone", crossing) == ["utilisation_achievement"]
    assert reasons(catalog, "milestone", staying) == []


def test_fingerprint_depends_on_account_play_and_reason_only() -> None:
    assert fingerprint("a", "p", "r") == fingerprint("a", "p", "r")
    assert (
        len(
            {
                fingerprint("a", "p", "r"),
                fingerprint("b", "p", "r"),
                fingerprint("a", "q", "r"),
                fingerprint("a", "p", "s"),
            }
        )
        == 4
    )


def test_plays_for_keeps_only_plays_whose_segment_filter_admits_the_account(catalog: Catalog) -> None:
    for tier in TIERS:
        for stage in STAGES:
            chosen = plays_for(catalog, tier, stage)
            expected = [p.id for p in catalog if tier in p.tiers and stage in p.stages]
            assert [p.id for p in chosen] == expected


def test_evaluate_with_the_segments_plays_given_equals_evaluate_without(catalog: Catalog) -> None:
    s = signals(
        wau=(40, 45, 100, 100, 100, 100, 100, 100), tickets_7d=6, renewal_date=AS_OF + timedelta(days=30)
    )
    h = health(score=30, band="critical")
    for tier in TIERS:
        for stage in STAGES:
            seg = Segment(tier=tier, stage=stage, risk="critical", value_potential="low")
            given = evaluate(catalog, s, h, seg, plays_for(catalog, tier, stage))
            assert given == evaluate(catalog, s, h, seg)


def test_weeks_pads_a_short_history_with_none() -> None:
    assert signals(wau=(5, 6)).weeks() == (5, 6, None, None, None, None, None, None)
    assert signals(wau=(1,) * 8).weeks() == (1,) * 8
