"""The check pass and the alert service layer on SQLite and PostgreSQL, over a store loaded with the
synthetic portfolio through the same loader the backtest and benchmarks use."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from bot.services import alerts
from bot.services.backtest import _timelines
from bot.services.check import run_check, run_sweep
from bot.services.effectiveness import play_effectiveness
from bot.services.errors import InvalidInput, InvalidTransition, NotFound
from bot.services.signals import build_signals
from plays.catalog import Catalog, load_catalog
from plays.clock import FakeClock
from plays.timeline import signals_at
from sandbox.portfolio import generate
from sandbox.store_loader import load_portfolio
from store.history import load_history
from store.models import (
    Account,
    Alert,
    AlertEvent,
    Contact,
    HealthSnapshot,
    OutboxItem,
    Outcome,
    PlayRun,
    Silence,
    StakeholderRole,
)
from store.scoring_inputs import changed_accounts, fetch_inputs
from store.uow import unit_of_work

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def store(engine: Engine, catalog: Catalog) -> tuple[Engine, FakeClock]:
    load_portfolio(engine, generate(60, seed=7))
    clock = FakeClock(START)
    run_check(engine, catalog, clock)
    return engine, clock


def _count(engine: Engine, model: type, *where: object) -> int:
    with unit_of_work(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _alert(engine: Engine, play_id: str | None = None, state: str = "firing") -> Alert:
    with unit_of_work(engine) as s:
        q = select(Alert).where(Alert.state == state).order_by(Alert.fired_at, Alert.id)
        if play_id:
            q = q.where(Alert.play_id == play_id)
        alert = s.scalars(q).first()
        assert alert is not None
        return alert


def test_check_fires_once_and_a_second_pass_changes_nothing(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    engine, clock = store
    alerts_before = _count(engine, Alert)
    assert alerts_before > 0
    assert _count(engine, AlertEvent, AlertEvent.action == "fire") == alerts_before
    assert _count(engine, HealthSnapshot) == 60
    clock.advance(minutes=10)
    again = run_check(engine, catalog, clock)
    assert again.fired == 0 and again.refreshed == alerts_before
    assert _count(engine, Alert) == alerts_before
    assert _count(engine, HealthSnapshot) == 60  # same day, same scores: no new snapshot


def test_incremental_check_touches_only_the_given_accounts(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        ids = list(s.scalars(select(Account.id).order_by(Account.id).limit(5)))
    clock.advance(days=1)
    summary = run_check(engine, catalog, clock, account_ids=ids)
    assert summary.accounts == 5 and summary.snapshots_written == 5


def test_claim_then_redelivered_click_changes_nothing(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    alert = _alert(engine)
    first = alerts.claim(engine, alert.id, actor="U1", request_id="req-1", clock=clock)
    assert (first.from_state, first.to_state, first.changed) == ("firing", "claimed", True)
    again = alerts.claim(engine, alert.id, actor="U1", request_id="req-1", clock=clock)
    assert (again.to_state, again.changed) == ("claimed", False)
    assert _count(engine, AlertEvent, AlertEvent.alert_id == alert.id, AlertEvent.action == "claim") == 1
    assert _count(engine, PlayRun, PlayRun.alert_id == alert.id) == 1
    with unit_of_work(engine) as s:
        stored = s.get(Alert, alert.id)
        assert stored is not None and stored.owner_slack_id == "U1" and stored.claimed_at == START
        event = s.scalars(select(AlertEvent).where(AlertEvent.request_id == "req-1")).one()
        assert (event.actor, event.via) == ("U1", "slack")
    with pytest.raises(InvalidTransition, match="this alert is claimed by U1"):
        alerts.claim(engine, alert.id, actor="U2", clock=clock)
    with pytest.raises(InvalidInput, match="already used for claim"):
        alerts.snooze(
            engine, alert.id, START + timedelta(days=1), actor="U1", request_id="req-1", clock=clock
        )


def test_claiming_a_resolved_alert_is_refused(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    alert = _alert(engine)
    alerts.mark_false_positive(engine, alert.id, "customer is migrating on purpose", actor="U1", clock=clock)
    with pytest.raises(InvalidTransition, match="this alert is marked a false positive"):
        alerts.claim(engine, alert.id, actor="U1", clock=clock)
    with pytest.raises(NotFound):
        alerts.claim(engine, "no-such-alert", actor="U1", clock=clock)


def test_false_positive_then_cooldown_keeps_it_quiet(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    engine, clock = store
    alert = _alert(engine)
    alerts.mark_false_positive(engine, alert.id, "known seasonal dip", actor="U1", clock=clock)
    clock.advance(hours=1)
    summary = run_check(engine, catalog, clock)
    assert summary.fired == 0 and summary.suppressed.get("cooldown", 0) >= 1
    assert _count(engine, Alert, Alert.fingerprint == alert.fingerprint) == 1


def test_snooze_wakes_up_after_the_silence_ends(store: tuple[Engine, FakeClock], catalog: Catalog) -> None:
    engine, clock = store
    alert = _alert(engine)
    alerts.snooze(engine, alert.id, START + timedelta(hours=4), actor="U1", clock=clock)
    assert _count(engine, Silence, Silence.alert_id == alert.id) == 1
    clock.advance(hours=3)
    run_check(engine, catalog, clock)
    assert _alert(engine, alert.play_id, "snoozed").id == alert.id
    clock.advance(hours=1)
    assert run_check(engine, catalog, clock).transitions.get("unsnooze") == 1
    with unit_of_work(engine) as s:
        stored = s.get(Alert, alert.id)
        assert stored is not None and (stored.state, stored.snoozed_until) == ("firing", None)
    with pytest.raises(InvalidInput, match="after"):
        alerts.snooze(engine, alert.id, clock.now() - timedelta(minutes=1), actor="U1", clock=clock)


def test_a_long_snooze_wakes_with_its_sla_and_expiry_counted_from_the_wake_up(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    """Snoozed past the play's expiry (and its claim SLA): on waking the alert is neither expired nor
    escalated at the next sweep; it behaves as if delivered at the wake-up."""
    engine, clock = store
    alert = _alert(engine)
    play = catalog[alert.play_id]
    wake = play.expire_after.after(START) + timedelta(days=1)
    alerts.snooze(engine, alert.id, wake, actor="U1", clock=clock)
    clock.advance(seconds=(wake - clock.now()).total_seconds())
    assert run_sweep(engine, catalog, clock).get("unsnooze") == 1
    clock.advance(minutes=5)
    assert run_sweep(engine, catalog, clock) == {}
    with unit_of_work(engine) as s:
        stored = s.get(Alert, alert.id)
        assert stored is not None and stored.state == "firing"
        assert stored.due_at == play.sla.claim_within.after(wake) and stored.deliver_at == wake
    clock.advance(seconds=(play.sla.claim_within.after(wake) - clock.now()).total_seconds())
    assert run_sweep(engine, catalog, clock).get("escalate") == 1  # the SLA still runs, from the wake-up


def test_unclaimed_alerts_escalate_when_the_sla_passes(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    engine, clock = store
    clock.advance(days=3)  # Monday 09:00 + 3 days: past every 1bd and 2bd SLA
    summary = run_check(engine, catalog, clock)
    assert summary.transitions.get("escalate", 0) > 0
    assert (
        _count(engine, AlertEvent, AlertEvent.action == "escalate", AlertEvent.actor == "scheduler")
        == (summary.transitions["escalate"])
    )
    clock.advance(hours=1)
    assert run_check(engine, catalog, clock).transitions.get("escalate", 0) == 0  # once only


def test_reassign_and_manual_escalate(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    alert = _alert(engine)
    change = alerts.reassign(engine, alert.id, "U9", actor="U1", clock=clock)
    assert change.details["to_owner"] == "U9" and change.to_state == "firing"
    with pytest.raises(InvalidInput, match="already owned"):
        alerts.reassign(engine, alert.id, "U9", actor="U1", clock=clock)
    assert alerts.escalate(engine, alert.id, actor="U1", clock=clock).details == {"escalate_to": "manager"}
    with pytest.raises(InvalidTransition, match="already escalated"):
        alerts.escalate(engine, alert.id, actor="U1", clock=clock)


def test_log_outcome_writes_outcome_play_run_and_outbox_once(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    alert = _alert(engine)
    alerts.claim(engine, alert.id, actor="U1", clock=clock)
    clock.advance(hours=2)
    with pytest.raises(InvalidInput, match="outcome must be one of"):
        alerts.log_outcome(engine, alert.id, "rescued", "call", actor="U1", clock=clock)
    done = alerts.log_outcome(
        engine,
        alert.id,
        "saved",
        "Exec call, training plan agreed",
        "Check usage",
        START.date() + timedelta(days=14),
        actor="U1",
        request_id="req-out",
        clock=clock,
    )
    assert (done.from_state, done.to_state) == ("claimed", "done")
    again = alerts.log_outcome(
        engine, alert.id, "saved", "dup", actor="U1", request_id="req-out", clock=clock
    )
    assert again.changed is False and again.details["outcome_id"] == done.details["outcome_id"]
    assert _count(engine, Outcome) == 1 and _count(engine, OutboxItem) == 1
    with unit_of_work(engine) as s:
        item = s.scalars(select(OutboxItem)).one()
        account = s.get(Account, alert.account_id)
        run = s.get(PlayRun, done.details["play_run_id"])
        assert account is not None and run is not None
        assert (item.target, item.kind, item.idempotency_key) == (
            "salesforce",
            "outcome_activity",
            done.details["outbox_key"],
        )
        assert item.payload["account_crm_id"] == account.crm_id
        assert item.payload["outcome_id"] == done.details["outcome_id"]
        assert "Next step: Check usage (by 2026-11-16)" in item.payload["body"]
        assert (run.status, run.completed_at) == ("completed", clock.now())
    with pytest.raises(InvalidTransition, match="this alert is done already"):
        alerts.log_outcome(engine, alert.id, "saved", "again", actor="U1", clock=clock)


def test_record_champion_change(store: tuple[Engine, FakeClock], catalog: Catalog) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        pairs = [
            (
                role,
                s.scalars(
                    select(Contact).where(
                        Contact.account_id == role.account_id, Contact.id != role.contact_id
                    )
                ).first(),
            )
            for role in s.scalars(
                select(StakeholderRole).where(
                    StakeholderRole.role == "champion", StakeholderRole.valid_to.is_(None)
                )
            )
        ]
        role, other = next((r, o) for r, o in pairs if o is not None)
        account_id, departed, successor = role.account_id, role.contact_id, other.id
    result = alerts.record_champion_change(
        engine,
        account_id,
        departed,
        successor,
        actor="U1",
        request_id="req-champ",
        clock=clock,
        catalog=catalog,
    )
    assert result.alert_fired and result.roles_closed == 1 and result.role_opened and result.changed
    again = alerts.record_champion_change(
        engine,
        account_id,
        departed,
        successor,
        actor="U1",
        request_id="req-champ",
        clock=clock,
        catalog=catalog,
    )
    assert again.changed is False and again.alert_id == result.alert_id
    with unit_of_work(engine) as s:
        spells = s.scalars(
            select(StakeholderRole).where(
                StakeholderRole.account_id == account_id, StakeholderRole.role == "champion"
            )
        ).all()
        assert {(r.contact_id, r.valid_to) for r in spells} >= {(departed, START.date()), (successor, None)}
        item = s.scalars(select(OutboxItem).where(OutboxItem.kind == "champion_change")).one()
        assert item.payload["role"] == "champion" and item.payload["new_contact_crm_id"]
    clock.advance(minutes=5)
    run_check(engine, catalog, clock)  # the trigger sees the same departure: same fingerprint, no duplicate
    assert (
        _count(
            engine,
            Alert,
            Alert.play_id == "champion_departure",
            Alert.account_id == account_id,
            Alert.reason == f"champion_left:{departed}",
        )
        == 1
    )
    with pytest.raises(InvalidInput, match="role must be one of"):
        alerts.record_champion_change(engine, account_id, departed, None, "boss", actor="U1", clock=clock)


def test_effectiveness_counts_fires_claims_and_outcomes(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    alert = _alert(engine, "usage_decline")
    alerts.claim(engine, alert.id, actor="U1", clock=clock)
    clock.advance(minutes=45)
    alerts.log_outcome(engine, alert.id, "saved", "Training session", actor="U1", clock=clock)
    stats = {s.play_id: s for s in play_effectiveness(engine, START - timedelta(days=1))}
    usage = stats["usage_decline"]
    assert usage.fires == _count(engine, Alert, Alert.play_id == "usage_decline")
    assert (usage.claimed, usage.median_claim_minutes, usage.completed, usage.saved, usage.save_rate) == (
        1,
        0.0,
        1,
        1,
        1.0,
    )


def test_changed_accounts_finds_accounts_with_new_crm_rows(store: tuple[Engine, FakeClock]) -> None:
    engine, _ = store
    since = datetime.now(UTC)
    with unit_of_work(engine) as s:
        assert changed_accounts(s, since) == []
        account = s.scalars(select(Account).order_by(Account.id)).first()
        assert account is not None
        account.synced_at = since + timedelta(seconds=1)
        account_id = account.id
    with unit_of_work(engine) as s:
        assert changed_accounts(s, since) == [account_id]


def _race(engine: Engine, alert_ids: list[str], act: Callable[[str, str], object]) -> None:
    """Two people act on each alert at the same moment (as two Slack workers would)."""
    for alert_id in alert_ids:
        barrier = threading.Barrier(2)

        def run(actor: str, alert_id: str = alert_id, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            with contextlib.suppress(InvalidTransition):
                act(alert_id, actor)

        threads = [threading.Thread(target=run, args=(actor,)) for actor in ("UAAA", "UBBB")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)


def test_two_people_claiming_at_once_get_one_claim(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        ids = list(s.scalars(select(Alert.id).where(Alert.state == "firing").order_by(Alert.id).limit(15)))

    def claim(alert_id: str, actor: str) -> object:
        return alerts.claim(engine, alert_id, actor=actor, request_id=f"{actor}-{alert_id}", clock=clock)

    _race(engine, ids, claim)
    for alert_id in ids:
        claims = _count(engine, AlertEvent, AlertEvent.alert_id == alert_id, AlertEvent.action == "claim")
        assert claims == 1, f"{alert_id} was claimed {claims} times"


def test_two_outcomes_logged_at_once_write_back_once(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        ids = list(s.scalars(select(Alert.id).where(Alert.state == "firing").order_by(Alert.id).limit(10)))

    def log(alert_id: str, actor: str) -> object:
        return alerts.log_outcome(
            engine,
            alert_id,
            "saved",
            f"call by {actor}",
            actor=actor,
            request_id=f"o-{actor}-{alert_id}",
            clock=clock,
        )

    _race(engine, ids, log)
    for alert_id in ids:
        assert _count(engine, Outcome, Outcome.alert_id == alert_id) == 1
    assert _count(engine, OutboxItem, OutboxItem.kind == "outcome_activity") == len(ids)


def test_a_champion_who_left_the_company_with_the_role_still_open_triggers_departure(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    """HubSpot records a departure on the contact and may leave the champion label on: the live pass
    and the backtest's replay both see the champion gone from that day."""
    engine, clock = store
    left_on = START.date() - timedelta(days=2)
    with unit_of_work(engine) as s:
        role = s.scalars(
            select(StakeholderRole).where(
                StakeholderRole.role == "champion",
                StakeholderRole.valid_to.is_(None),
                StakeholderRole.account_id.not_in(
                    select(Alert.account_id).where(Alert.play_id == "champion_departure")
                ),
            )
        ).first()
        assert role is not None
        contact = s.get(Contact, role.contact_id)
        assert contact is not None
        contact.left_company_at = left_on
        account_id, contact_id = role.account_id, role.contact_id
    clock.advance(hours=1)
    run_check(engine, catalog, clock)
    with unit_of_work(engine) as s:
        fired = s.scalars(
            select(Alert).where(Alert.account_id == account_id, Alert.play_id == "champion_departure")
        ).one()
        live = {x.account_id: x for x in build_signals(fetch_inputs(s, START.date()))}[account_id]
        timelines, _ = _timelines(load_history(s, START.date() - timedelta(weeks=10)))
    assert fired.reason == f"champion_left:{contact_id}"
    assert (live.champion_left_contact, live.champion_left_on) == (contact_id, left_on)
    replayed = signals_at(next(t for t in timelines if t.account_id == account_id), START.date())
    assert (replayed.champion_left_contact, replayed.champion_left_on) == (contact_id, left_on)


def test_a_deleted_contact_is_no_departure_live_or_in_the_replay(store: tuple[Engine, FakeClock]) -> None:
    engine, _clock = store
    with unit_of_work(engine) as s:
        role = s.scalars(
            select(StakeholderRole).where(
                StakeholderRole.role == "champion", StakeholderRole.valid_to.is_(None)
            )
        ).first()
        assert role is not None
        contact = s.get(Contact, role.contact_id)
        assert contact is not None
        contact.left_company_at, contact.is_deleted = START.date() - timedelta(days=2), True
        account_id = role.account_id
    with unit_of_work(engine) as s:
        live = {x.account_id: x for x in build_signals(fetch_inputs(s, START.date()))}[account_id]
        timelines, _ = _timelines(load_history(s, START.date() - timedelta(weeks=10)))
    replayed = signals_at(next(t for t in timelines if t.account_id == account_id), START.date())
    assert live.champion_left_on is None and replayed.champion_left_on is None
