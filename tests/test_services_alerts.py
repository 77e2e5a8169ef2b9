"""The check pass and the alert service layer on SQLite and PostgreSQL, over a store loaded with the
synthetic portfolio through the same loader the backtest and benchmarks use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bot.services import alerts
from bot.services.check import run_check, run_sweep
from bot.services.effectiveness import play_effectiveness
from bot.services.errors import InvalidInput, InvalidTransition, NotFound
from plays.catalog import Catalog
from plays.clock import FakeClock
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
from store.scoring_inputs import changed_accounts
from store.uow import unit_of_work
from tests.alert_store import START, count


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
    alerts_before = count(engine, Alert)
    assert alerts_before > 0
    assert count(engine, AlertEvent, AlertEvent.action == "fire") == alerts_before
    assert count(engine, HealthSnapshot) == 60
    clock.advance(minutes=10)
    again = run_check(engine, catalog, clock)
    assert again.fired == 0 and again.refreshed == alerts_before
    assert count(engine, Alert) == alerts_before
    assert count(engine, HealthSnapshot) == 60  # same day, same scores: no new snapshot


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
    assert count(engine, AlertEvent, AlertEvent.alert_id == alert.id, AlertEvent.action == "claim") == 1
    assert count(engine, PlayRun, PlayRun.alert_id == alert.id) == 1
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
    assert count(engine, Alert, Alert.fingerprint == alert.fingerprint) == 1


def test_snooze_wakes_up_after_the_silence_ends(store: tuple[Engine, FakeClock], catalog: Catalog) -> None:
    engine, clock = store
    alert = _alert(engine)
    alerts.snooze(engine, alert.id, START + timedelta(hours=4), actor="U1", clock=clock)
    assert count(engine, Silence, Silence.alert_id == alert.id) == 1
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
        count(engine, AlertEvent, AlertEvent.action == "escalate", AlertEvent.actor == "scheduler")
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
    assert count(engine, Outcome) == 1 and count(engine, OutboxItem) == 1
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
        count(
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
    assert usage.fires == count(engine, Alert, Alert.play_id == "usage_decline")
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
