"""Alert lifecycle with a fake clock: dedup, inhibition, silences, cooldown, SLA escalation, expiry,
snooze wake-up, digests and routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plays.catalog import Catalog, load_catalog
from plays.clock import FakeClock, add_business_days, parse_duration
from plays.lifecycle import (
    ACCOUNT_DELETED,
    COOLDOWN,
    DUPLICATE,
    INHIBITED,
    SILENCED,
    AlertState,
    Notice,
    Route,
    SilenceRule,
    group_digests,
    plan_pass,
    route,
    sweep,
)
from plays.triggers import Hit

FRIDAY = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def hit(play: str = "usage_decline", account: str = "acc-1", reason: str = "wau_mom_drop") -> Hit:
    return Hit(account, play, reason, "warning", "summary")


def plan(catalog: Catalog, hits: list[Hit], now: datetime, **state: object):  # type: ignore[no-untyped-def]
    kwargs: dict[str, object] = {"open_alerts": {}, "open_plays": {}, "last_resolved": {}, "silences": {}}
    kwargs.update(state)
    return plan_pass(hits, catalog, now=now, **kwargs)  # type: ignore[arg-type]


def alert(h: Hit, state: str = "firing", fired_at: datetime = FRIDAY, **kw: object) -> AlertState:
    return AlertState("alert-1", h.fingerprint, h.account_id, h.play_id, state, fired_at, **kw)  # type: ignore[arg-type]


def test_new_hit_fires_with_sla_due_date(catalog: Catalog) -> None:
    p = plan(catalog, [hit()], FRIDAY)
    assert [f.hit.fingerprint for f in p.fire] == [hit().fingerprint]
    assert p.fire[0].due_at == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # 2 business days: Tuesday


def test_dedup_refreshes_the_open_alert_instead_of_firing(catalog: Catalog) -> None:
    h = hit()
    p = plan(catalog, [h, h], FRIDAY, open_alerts={h.fingerprint: alert(h, "claimed")})
    assert p.fire == []
    assert p.refresh == [("alert-1", h)]
    assert p.suppressed == {DUPLICATE: 2}


def test_same_hit_twice_in_one_pass_fires_once(catalog: Catalog) -> None:
    assert len(plan(catalog, [hit(), hit()], FRIDAY).fire) == 1


def test_renewal_risk_inhibits_usage_decline_for_the_same_account_only(catalog: Catalog) -> None:
    hits = [hit(), hit("renewal_risk", reason="renewal:2027-01-01"), hit(account="acc-2")]
    p = plan(catalog, hits, FRIDAY)
    assert sorted((f.hit.account_id, f.hit.play_id) for f in p.fire) == [
        ("acc-1", "renewal_risk"),
        ("acc-2", "usage_decline"),
    ]
    assert p.suppressed == {INHIBITED: 1}


def test_an_open_renewal_risk_alert_also_inhibits(catalog: Catalog) -> None:
    p = plan(catalog, [hit()], FRIDAY, open_plays={"acc-1": {"renewal_risk"}})
    assert p.fire == [] and p.suppressed == {INHIBITED: 1}


def test_silence_suppresses_until_it_expires(catalog: Catalog) -> None:
    clock = FakeClock(FRIDAY)
    rule = SilenceRule(FRIDAY, FRIDAY + timedelta(days=3), account_id="acc-1", play_id="usage_decline")
    silences = {"acc-1": [rule]}
    assert plan(catalog, [hit()], clock.now(), silences=silences).suppressed == {SILENCED: 1}
    clock.advance(days=3, seconds=-1)
    assert plan(catalog, [hit()], clock.now(), silences=silences).fire == []
    clock.advance(seconds=1)
    assert len(plan(catalog, [hit()], clock.now(), silences=silences).fire) == 1


def test_silence_for_another_play_does_not_match(catalog: Catalog) -> None:
    rule = SilenceRule(FRIDAY, FRIDAY + timedelta(days=3), account_id="acc-1", play_id="ticket_spike")
    assert len(plan(catalog, [hit()], FRIDAY, silences={"acc-1": [rule]}).fire) == 1


def test_cooldown_after_resolution(catalog: Catalog) -> None:
    h = hit()  # usage_decline: cooldown 14d
    resolved = {h.fingerprint: FRIDAY}
    at_13d = plan(catalog, [h], FRIDAY + timedelta(days=13, hours=23), last_resolved=resolved)
    assert at_13d.fire == [] and at_13d.suppressed == {COOLDOWN: 1}
    assert len(plan(catalog, [h], FRIDAY + timedelta(days=14), last_resolved=resolved).fire) == 1


@pytest.mark.parametrize(
    ("play", "reason", "next_reason"),
    [
        ("renewal_window", "window_180:2027-05-01", "window_120:2027-05-01"),
        ("renewal_risk", "renewal:2027-05-01", "renewal:2028-05-01"),
        ("nps_detractor", "nps:R-1", "nps:R-2"),
        ("champion_departure", "champion_left:c-9", "champion_left:c-8"),
        ("milestone", "anniversary:2y", "anniversary:5y"),
    ],
)
def test_a_handled_occurrence_never_fires_again(
    catalog: Catalog, play: str, reason: str, next_reason: str
) -> None:
    """The same renewal window, NPS response or departure is still true weeks later; once its alert
    was resolved it stays handled, past the cooldown. The next occurrence is a new reason and fires."""
    h = hit(play, reason=reason)
    resolved = {h.fingerprint: FRIDAY}
    later = plan(catalog, [h], FRIDAY + timedelta(days=120), last_resolved=resolved)
    assert later.fire == [] and later.suppressed == {COOLDOWN: 1}
    assert len(plan(catalog, [hit(play, reason=next_reason)], FRIDAY, last_resolved=resolved).fire) == 1


def test_sla_escalates_unclaimed_alert_once_when_due(catalog: Catalog) -> None:
    h = hit()
    due = add_business_days(FRIDAY, 2)
    a = alert(h, due_at=due)
    assert sweep([a], catalog, due - timedelta(seconds=1)) == []
    (t,) = sweep([a], catalog, due)
    assert (t.action, t.to_state, t.escalate_to) == ("escalate", "firing", "manager")
    assert sweep([alert(h, due_at=due, escalated_at=due)], catalog, due + timedelta(hours=1)) == []
    reminded = {"steps_reminded": 2}  # the play's follow-up steps are not what this test is about
    assert sweep([alert(h, "claimed", due_at=due, **reminded)], catalog, due + timedelta(days=1)) == []


def test_unclaimed_alert_expires(catalog: Catalog) -> None:
    a = alert(hit(), due_at=FRIDAY, escalated_at=FRIDAY, steps_reminded=2)  # usage_decline: expire_after 21d
    assert sweep([a], catalog, FRIDAY + timedelta(days=20)) == []
    (t,) = sweep([a], catalog, FRIDAY + timedelta(days=21))
    assert (t.action, t.to_state) == ("expire", "expired")


def test_an_open_alert_of_a_deleted_account_closes_instead_of_escalating(catalog: Catalog) -> None:
    due = add_business_days(FRIDAY, 2)
    states = [
        alert(hit(), due_at=due, account_gone=True),
        AlertState(
            "alert-2", "fp2", "acc-1", "ticket_spike", "claimed", FRIDAY, claimed_at=FRIDAY, account_gone=True
        ),
        AlertState(
            "alert-3",
            "fp3",
            "acc-1",
            "nps_detractor",
            "snoozed",
            FRIDAY,
            snoozed_until=due,
            account_gone=True,
        ),
    ]
    closed = sweep(states, catalog, due + timedelta(days=1))  # past the SLA, the snooze and the first step
    assert [(t.alert_id, t.action, t.to_state, t.reason) for t in closed] == [
        ("alert-1", "expire", "expired", ACCOUNT_DELETED),
        ("alert-2", "expire", "expired", ACCOUNT_DELETED),
        ("alert-3", "expire", "expired", ACCOUNT_DELETED),
    ]


def test_snooze_wakes_back_to_the_state_it_left(catalog: Catalog) -> None:
    until = FRIDAY + timedelta(days=1)
    firing = alert(hit(), "snoozed", snoozed_until=until)
    claimed = AlertState(
        "alert-2", "fp2", "acc-1", "ticket_spike", "snoozed", FRIDAY, claimed_at=FRIDAY, snoozed_until=until
    )
    assert sweep([firing, claimed], catalog, until - timedelta(minutes=1)) == []
    woke = {t.alert_id: t.to_state for t in sweep([firing, claimed], catalog, until)}
    assert woke == {"alert-1": "firing", "alert-2": "claimed"}


def test_digests_group_per_channel_most_severe_first() -> None:
    notices = [
        Notice("a1", "#b", "acc-1", "milestone", "info", "s"),
        Notice("a2", "#a", "acc-1", "usage_decline", "warning", "s"),
        Notice("a3", "#b", "acc-2", "renewal_risk", "critical", "s"),
        Notice("a4", "#b", "acc-3", "ticket_spike", "warning", "s"),
    ]
    digests = group_digests(notices, max_per_digest=2)
    assert [(d.channel, [n.alert_id for n in d.notices]) for d in digests] == [
        ("#a", ["a2"]),
        ("#b", ["a3", "a4"]),
        ("#b", ["a1"]),
    ]


def test_routing_first_match_by_priority() -> None:
    routes = [
        Route(20, "#high", tier="high"),
        Route(10, "#renewals", play_id="renewal_risk"),
        Route(30, "#all"),
    ]
    assert route(routes, tier="high", play_id="renewal_risk", csm_slack_id=None, default="#d") == "#renewals"
    assert route(routes, tier="high", play_id="milestone", csm_slack_id=None, default="#d") == "#high"
    assert route(routes[:2], tier="tech", play_id="milestone", csm_slack_id=None, default="#d") == "#d"


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRIDAY, 1, datetime(2026, 11, 9, 9, tzinfo=UTC)),  # Friday + 1 = Monday
        (FRIDAY, 3, datetime(2026, 11, 11, 9, tzinfo=UTC)),
        (datetime(2026, 11, 7, 12, tzinfo=UTC), 1, datetime(2026, 11, 10, 12, tzinfo=UTC)),  # Sat -> Tue
        (datetime(2026, 11, 9, 8, tzinfo=UTC), 0, datetime(2026, 11, 9, 8, tzinfo=UTC)),
    ],
)
def test_business_days(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


def test_durations() -> None:
    assert parse_duration("24h").after(FRIDAY) == FRIDAY + timedelta(hours=24)
    assert parse_duration("3bd").after(FRIDAY) == datetime(2026, 11, 11, 9, tzinfo=UTC)
    assert str(parse_duration("14d")) == "2w"
    with pytest.raises(ValueError, match="3bd for business days"):
        parse_duration("3 days")


def test_a_follow_up_step_comes_due_once_counted_from_delivery(catalog: Catalog) -> None:
    """usage_decline: check-in email now (in the alert itself), call after 3 business days."""
    h = hit()
    a = alert(h, "claimed", due_at=FRIDAY, escalated_at=FRIDAY)
    wednesday = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)  # Friday + 3 business days
    assert sweep([a], catalog, wednesday - timedelta(minutes=1)) == []
    (t,) = sweep([a], catalog, wednesday)
    assert (t.action, t.step, t.to_state) == ("step_due", 1, "claimed")
    assert sweep([alert(h, "claimed", due_at=FRIDAY, steps_reminded=2)], catalog, wednesday) == []
    assert sweep([alert(h, "snoozed", snoozed_until=wednesday + timedelta(days=9))], catalog, wednesday) == []
    held = alert(h, "claimed", deliver_at=FRIDAY + timedelta(days=3))
    assert sweep([held], catalog, wednesday) == []  # three business days after Monday's delivery: Thursday


def test_the_latest_due_step_is_reminded_and_escalation_still_happens(catalog: Catalog) -> None:
    """renewal_risk: QBR now, exec sponsor after 3bd, proposal after 10bd; a sweep that ran late
    reminds only the latest due step, next to the escalation it also owes."""
    h = hit("renewal_risk", reason="renewal:2027-01-01")
    a = alert(h, "firing", due_at=FRIDAY + timedelta(days=1))
    actions = {(t.action, t.step) for t in sweep([a], catalog, FRIDAY + timedelta(days=15))}
    assert actions == {("escalate", None), ("step_due", 2)}
