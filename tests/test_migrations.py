"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, inspect, select

from plays.triggers import Hit
from store import keys, migrate
from store.db import make_engine
from store.models import Account, Alert, AlertEvent, Base
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
