"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from plays.triggers import Hit
from store import keys, migrate
from store.db import make_engine
from store.models import Account, Alert, AlertEvent, Base, Contact, StakeholderRole
from store.uow import unit_of_work


def test_upgrade_reaches_head_and_autogenerate_finds_no_difference(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert migrate.pending_differences(engine) == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_upgrade_is_idempotent(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)


def test_usage_decline_alerts_move_to_the_one_reason_without_a_second_open_alert(db_url: str) -> None:
    """Before 0008 a decline's alerts had the reason `two_week_decline` or `wau_mom_drop`; after it,
    the pass's hits (reason `decline`) must find them: same fingerprint, one open alert per account."""
    eng = make_engine(db_url)
    try:
        migrate.upgrade(eng, "0007")
        acc = keys.account_key("salesforce", "001A")
        fired = datetime(2026, 11, 2, 9, tzinfo=UTC)
        with unit_of_work(eng) as session:
            session.add(Account(id=acc, source="salesforce", crm_id="001A", name="Acme"))
            session.flush()
            old = [("wau_mom_drop", "firing"), ("two_week_decline", "claimed"), ("wau_mom_drop", "done")]
            for n, (reason, state) in enumerate(old):
                at = fired + timedelta(days=n)
                session.add(
                    Alert(
                        id=f"a{n}",
                        fingerprint=f"old-{n}",
                        play_id="usage_decline",
                        account_id=acc,
                        reason=reason,
                        state=state,
                        fired_at=at,
                    )
                )
        migrate.upgrade(eng)
        expected = Hit(acc, "usage_decline", "decline", "warning", "").fingerprint
        with unit_of_work(eng) as session:
            stored = {a.id: (a.reason, a.fingerprint, a.state) for a in session.scalars(select(Alert))}
            expired = session.scalars(select(AlertEvent).where(AlertEvent.action == "expire")).all()
        assert stored == {
            "a0": ("decline", expected, "firing"),
            "a1": ("decline", expected, "expired"),
            "a2": ("decline", expected, "done"),
        }
        assert [(e.alert_id, e.from_state) for e in expired] == [("a1", "claimed")]
    finally:
        eng.dispose()


def test_contact_roles_get_a_spell_per_crm_record_and_keep_their_rows(db_url: str) -> None:
    """0009 puts crm_id in the spell's key: rows stored before it are kept ("" for the ones without a
    CRM record), and two records with the same contact, role and day are two rows; downgrading merges
    them again, keeping the open one."""
    eng = make_engine(db_url)
    try:
        migrate.upgrade(eng, "0008")
        acc, contact = keys.account_key("salesforce", "001A"), keys.contact_key("salesforce", "003A")
        day = date(2026, 11, 2)
        spell = {"account_id": acc, "contact_id": contact, "valid_from": day, "source": "salesforce"}
        with unit_of_work(eng) as session:
            session.add(Account(id=acc, source="salesforce", crm_id="001A", name="Acme"))
            session.add(Contact(id=contact, source="salesforce", crm_id="003A", account_id=acc))
            session.flush()
            session.execute(
                insert(StakeholderRole),
                [
                    {**spell, "role": "champion", "crm_id": "00KA", "valid_to": None},
                    {**spell, "role": "admin", "crm_id": None, "valid_to": day, "source": "slack"},
                ],
            )
        migrate.upgrade(eng)
        assert migrate.current_revision(eng) == "0009"
        assert _roles(eng) == [("admin", "", day), ("champion", "00KA", None)]
        with unit_of_work(eng) as session:  # the renewal's and the upsell's contact role, same day
            session.execute(insert(StakeholderRole), [{**spell, "role": "champion", "crm_id": "00KB"}])
        assert _roles(eng) == [("admin", "", day), ("champion", "00KA", None), ("champion", "00KB", None)]
        with pytest.raises(IntegrityError), unit_of_work(eng) as session:
            session.execute(insert(StakeholderRole), [{**spell, "role": "champion", "crm_id": "00KB"}])
        assert "ix_stakeholder_roles_open_crm_id" in {
            i["name"] for i in inspect(eng).get_indexes("stakeholder_roles")
        }
        command.downgrade(migrate.alembic_config(eng), "0008")
        assert [(r, c is None, t) for r, c, t in _roles(eng)] == [
            ("admin", True, day),
            ("champion", False, None),
        ]
        migrate.upgrade(eng)
        assert migrate.pending_differences(eng) == []
    finally:
        eng.dispose()


def _roles(eng: Engine) -> list[tuple[object, ...]]:
    sr = StakeholderRole
    with eng.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(select(sr.role, sr.crm_id, sr.valid_to).order_by(sr.role, sr.crm_id))
        ]
