"""Unit of work: one transaction, committed on success and rolled back on any exception."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from store.db import session_factory


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
