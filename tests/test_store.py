"""Store behaviour on SQLite and PostgreSQL: upserts, open-alert dedup, UTC datetimes, outbox, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import DateTime, Engine, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from store import alerts_repo, keys, outbox_repo, sync_repo
from store.db import SQLITE_MMAP_BYTES, make_engine
from store.models import Account, Alert, HealthSnapshot, OutboxItem
from store.types import UTCDateTime
from store.uow import unit_of_work
from store.upsert import bulk_insert, bulk_upsert


def _account(crm_id: str, name: str, **extra: object) -> dict[str, object]:
    return {
        "id": keys.account_key("salesforce", crm_id),
        "source": "salesforce",
        "crm_id": crm_id,
        "name": name,
        "extra": {},
        "is_deleted": False,
        "synced_at": datetime.now(UTC),
        **extra,
    }


def _count(engine: Engine, model: type) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_bulk_upsert_inserts_then_updates_without_duplicates(engine: Engine) -> None:
    table = Account
    with unit_of_work(engine) as session:
        bulk_upsert(session, table, [_account("001A", "Acme"), _account("001B", "Globex")], ("id",))
    with unit_of_work(engine) as session:
        bulk_upsert(session, table, [_account("001A", "Acme Corp"), _account("001C", "Initech")], ("id",))
    assert _count(engine, Account) == 3
    with unit_of_work(engine) as session:
        assert session.get(Account, keys.account_key("salesforce", "001A")).name == "Acme Corp"


def test_bulk_upsert_do_nothing_keeps_first(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "First")], ("id",))
        bulk_upsert(session, Account, [_account("001A", "Second")], ("id",), update_columns=())
    with unit_of_work(engine) as session:
        assert session.get(Account, keys.account_key("salesforce", "001A")).name == "First"


def test_bulk_upsert_key_repeated_in_one_batch_keeps_the_last_row(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
    batch = [_account("001B", "Globex"), _account("001A", "Acme 2"), _account("001B", "Globex 2")]
    batch += [_account("001A", "Acme 3"), _account("001C", "Initech")]
    with unit_of_work(engine) as session:
        assert bulk_upsert(session, Account, batch, ("id",)) == 5
    with unit_of_work(engine) as session:
        names = {crm_id: name for crm_id, name in session.execute(select(Account.crm_id, Account.name))}
    assert names == {"001A": "Acme 3", "001B": "Globex 2", "001C": "Initech"}


def test_sqlite_upsert_sends_new_rows_as_a_plain_insert(tmp_path: Path) -> None:
    """With foreign keys on, SQLite's INSERT ... ON CONFLICT DO UPDATE costs about 2.7 times a plain
    INSERT even when nothing conflicts, so the rows whose key is not stored go in as a plain INSERT."""
    from sqlalchemy import event

    from store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'split.db'}")
    upgrade(engine)
    sent: list[tuple[str, int]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO accounts"):
            rows = len(parameters) if executemany else 1
            sent.append(("upsert" if "ON CONFLICT" in statement else "insert", rows))

    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme"), _account("001B", "Globex")], ("id",))
    assert sent == [("insert", 2)]
    sent.clear()
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme Corp"), _account("001C", "Initech")], ("id",))
    assert sent == [("insert", 1), ("upsert", 1)]
    engine.dispose()


def test_sqlite_upsert_fails_loudly_if_a_key_appears_after_the_lookup(tmp_path: Path) -> None:
    """The lookup and the INSERT run in one transaction; should a row with the key still be there when
    the INSERT runs, it fails (and rolls back) instead of silently overwriting or dropping a row."""
    from sqlalchemy import event

    from store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    upgrade(engine)

    @event.listens_for(engine, "before_cursor_execute")
    def _sneak_in(conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        plain_insert = statement.startswith("INSERT INTO accounts") and "ON CONFLICT" not in statement
        if plain_insert and "sneaked" not in statement:
            conn.exec_driver_sql(
                "INSERT INTO accounts (id, source, crm_id, name, is_deleted, synced_at, currency, extra) "
                "VALUES (?, 'salesforce', '001A', 'sneaked', 0, '2026-01-01', 'USD', '{}')",
                (keys.account_key("salesforce", "001A"),),
            )

    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
    assert _count(engine, Account) == 0
    engine.dispose()


def test_sqlite_upsert_looks_up_stored_keys_under_the_write_lock(tmp_path: Path) -> None:
    """No other connection can store a key between the lookup and the INSERT: by the lookup, this
    transaction already holds SQLite's write lock."""
    import sqlite3

    from sqlalchemy import event

    from store.migrate import upgrade

    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    other_could_write: list[bool] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _try_other_writer(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        if "json_each" in statement:
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                other_could_write.append(True)
            except sqlite3.OperationalError:  # database is locked
                other_could_write.append(False)
            finally:
                other.close()

    with unit_of_work(engine) as session:
        session.scalar(select(func.count()).select_from(Account))  # a read first, as a sync page does
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
    assert other_could_write == [False]
    assert _count(engine, Account) == 1
    engine.dispose()


def test_unit_of_work_rolls_back_everything_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
        raise RuntimeError("crash mid-transaction")
    assert _count(engine, Account) == 0


def test_datetimes_come_back_timezone_aware_utc(engine: Engine) -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC) + timedelta(microseconds=5)
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme", crm_modified_at=moment)], ("id",))
    with unit_of_work(engine) as session:
        stored = session.get(Account, keys.account_key("salesforce", "001A")).crm_modified_at
    assert stored == moment
    assert stored.tzinfo is not None


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), unit_of_work(engine) as session:
        bulk_upsert(
            session,
            Account,
            [_account("001A", "Acme", crm_modified_at=datetime(2026, 1, 1))],
            ("id",),
        )


def test_one_open_alert_per_fingerprint(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
    aid = keys.account_key("salesforce", "001A")
    alert = {"fingerprint": "fp-1", "play_id": "usage_decline", "account_id": aid, "reason": "usage down 42%"}
    with unit_of_work(engine) as session:
        session.add(Alert(**alert))
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        session.add(Alert(**alert))
    with unit_of_work(engine) as session:
        open_alert = session.scalars(select(Alert)).one()
        open_alert.state = "done"
    with unit_of_work(engine) as session:  # a resolved alert does not block a new one
        session.add(Alert(**alert))
    assert _count(engine, Alert) == 2


def test_outbox_enqueue_is_idempotent_and_parks_after_max_attempts(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for _ in range(2):
            outbox_repo.enqueue(
                session,
                idempotency_key="outcome-1",
                target="salesforce",
                kind="outcome_activity",
                payload={"a": 1},
            )
    assert _count(engine, OutboxItem) == 1
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        (item,) = outbox_repo.due_items(session, now)
        outbox_repo.mark_failed(item, "503 Service Unavailable", now)
        assert item.state == "failed"
        assert item.next_attempt_at > now
        assert outbox_repo.due_items(session, now) == []
        for _ in range(outbox_repo.MAX_ATTEMPTS):
            outbox_repo.mark_failed(item, "503 Service Unavailable", now)
        assert item.state == "parked"
    with unit_of_work(engine) as session:
        assert outbox_repo.retry(session) == 1
    with unit_of_work(engine) as session:
        (item,) = outbox_repo.due_items(session, datetime.now(UTC))
        outbox_repo.mark_sent(item, "00T000000000001", datetime.now(UTC))
    with unit_of_work(engine) as session:
        assert session.scalars(select(OutboxItem)).one().state == "sent"


def test_cursor_round_trip(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert sync_repo.get_cursor(session, "salesforce", "Account") == {}
        sync_repo.set_cursor(session, "salesforce", "Account", {"SystemModstamp": "2026-01-01T00:00:00Z"})
    with unit_of_work(engine) as session:
        sync_repo.set_cursor(session, "salesforce", "Account", {"SystemModstamp": "2026-02-01T00:00:00Z"})
    with unit_of_work(engine) as session:
        assert sync_repo.get_cursor(session, "salesforce", "Account") == {
            "SystemModstamp": "2026-02-01T00:00:00Z"
        }


def test_deterministic_keys() -> None:
    assert keys.account_key("salesforce", "001A") == keys.account_key("salesforce", "001A")
    assert keys.account_key("salesforce", "001A") != keys.account_key("hubspot", "001A")
    assert keys.account_key("salesforce", "001A") != keys.contact_key("salesforce", "001A")


def test_crm_keys_are_rfc4122_uuid5() -> None:
    import uuid

    for source, obj, crm_id in [
        ("salesforce", "account", "001A"),
        ("hubspot", "contact", "9" * 40),
        ("x", "y", "é ü"),
    ]:
        expected = uuid.uuid5(keys._NAMESPACE, f"{source}:{obj}:{crm_id}")
        assert keys.crm_key(source, obj, crm_id) == str(expected)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, 0, 7, tzinfo=timezone(timedelta(hours=2))),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_sqlite_datetime_binding_matches_the_generic_path(moment: datetime) -> None:
    """The one-step SQLite processor stores exactly what SQLAlchemy's own DATETIME would store, so rows
    written by the bulk upsert and by the ORM compare and sort alike."""
    dialect = sqlite.dialect()
    fast = UTCDateTime().bind_processor(dialect)
    generic = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fast(moment) == generic(moment.astimezone(UTC).replace(tzinfo=None))
    assert fast(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        fast(datetime(2026, 1, 1))


def test_bulk_insert_fills_python_defaults_and_refuses_a_conflict(engine: Engine) -> None:
    as_of = datetime(2026, 11, 2, tzinfo=UTC).date()
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
        aid = keys.account_key("salesforce", "001A")
        sent = bulk_insert(
            session,
            HealthSnapshot,
            [{"account_id": aid, "as_of": as_of, "score": s, "band": "watch"} for s in (60, 61)],
        )
    assert sent == 2
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(HealthSnapshot.score, HealthSnapshot.components, HealthSnapshot.drivers).order_by(
                HealthSnapshot.score
            )
        ).all()
        computed = session.scalars(select(HealthSnapshot.computed_at)).all()
    assert [tuple(r) for r in rows] == [(60, {}, []), (61, {}, [])]
    assert all(c.tzinfo is not None for c in computed)
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        bulk_insert(session, Account, [_account("001A", "Acme again")])


def test_sqlite_connections_read_through_a_memory_map(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_insert_alerts_skips_a_fingerprint_already_open_and_returns_only_the_inserted(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, [_account("001A", "Acme")], ("id",))
    aid = keys.account_key("salesforce", "001A")
    now = datetime.now(UTC)

    def row(alert_id: str, fingerprint: str) -> dict[str, object]:
        return {
            "id": alert_id,
            "fingerprint": fingerprint,
            "play_id": "usage_decline",
            "account_id": aid,
            "reason": "r",
            "state": "firing",
            "fired_at": now,
            "updated_at": now,
            "details": {"summary": "s"},
        }

    with unit_of_work(engine) as session:
        assert alerts_repo.insert_alerts(session, [row("a-1", "fp-1")]) == ["a-1"]
    with unit_of_work(engine) as session:  # a concurrent pass already opened fp-1
        assert alerts_repo.insert_alerts(session, [row("a-2", "fp-1"), row("a-3", "fp-2")]) == ["a-3"]
    with unit_of_work(engine) as session:
        stored = {i: fp for i, fp in session.execute(select(Alert.id, Alert.fingerprint))}
    assert stored == {"a-1": "fp-1", "a-3": "fp-2"}
