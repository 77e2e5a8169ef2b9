"""When a champion counts as gone, in the live pass and the backtest's replay alike."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from bot.services.backtest import _timelines
from bot.services.check import run_check
from bot.services.signals import build_signals
from plays.catalog import Catalog
from plays.clock import FakeClock
from plays.timeline import signals_at
from store.history import load_history
from store.models import Alert, Contact, StakeholderRole
from store.scoring_inputs import fetch_inputs
from store.uow import unit_of_work
from tests.alert_store import START


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


def test_a_champion_with_one_spell_ended_and_another_still_open_is_not_gone(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    """A contact who is champion on two CRM records (a renewal and an upsell opportunity) holds the
    role while either spell is open: the end of one is no departure, live or in the replay."""
    engine, clock = store
    ended_on = START.date() - timedelta(days=2)
    with unit_of_work(engine) as s:
        role = s.scalars(
            select(StakeholderRole).where(
                StakeholderRole.role == "champion",
                StakeholderRole.valid_to.is_(None),
                StakeholderRole.valid_from <= ended_on - timedelta(days=30),
                StakeholderRole.account_id.not_in(
                    select(Alert.account_id).where(Alert.play_id == "champion_departure")
                ),
            )
        ).first()
        assert role is not None
        account_id, contact_id = role.account_id, role.contact_id
        s.add(
            StakeholderRole(
                account_id=account_id,
                contact_id=contact_id,
                role="champion",
                valid_from=ended_on - timedelta(days=30),
                valid_to=ended_on,
                source="salesforce",
                crm_id="00K000000000002AAA",
            )
        )
    clock.advance(hours=1)
    run_check(engine, catalog, clock)
    with unit_of_work(engine) as s:
        fired = s.scalars(
            select(Alert).where(Alert.account_id == account_id, Alert.play_id == "champion_departure")
        ).all()
        live = {x.account_id: x for x in build_signals(fetch_inputs(s, START.date()))}[account_id]
        timelines, _ = _timelines(load_history(s, START.date() - timedelta(weeks=10)))
    replayed = signals_at(next(t for t in timelines if t.account_id == account_id), START.date())
    assert fired == []
    assert live.has_champion and live.champion_left_contact != contact_id
    assert replayed.has_champion and replayed.champion_left_contact != contact_id
    assert live.champion_left_on == replayed.champion_left_on
