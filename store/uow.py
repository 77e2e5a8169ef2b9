"""Unit of work: one transaction, committed on success and rolled back on any exception."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from store.db import session_factory


def lock_for_write(session: Session) -> None:
    """Take the write lock now, before reading what this unit of work will check and change.

    PostgreSQL locks the rows read `FOR UPDATE`. SQLite has no row locks, and pysqlite opens its
    transaction only at the first write, so a read-check-write would read outside any lock: two
    people claiming one alert at the same moment would both pass the check. There the transaction
    begins as IMMEDIATE, which holds the database's write lock (other writers wait on busy_timeout;
    readers carry on)."""
    begin_immediate(session.connection())


def begin_immediate(conn: Connection) -> None:
    """On SQLite, begin `conn`'s transaction holding the write lock if none is open yet (pysqlite only
    begins one at the first write); elsewhere nothing."""
    if conn.dialect.name != "sqlite":
        return
    dbapi: Any = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """`with unit_of_work(engine) as session:` commits once at the end, or rolls back everything."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
