"""Set-based bulk upserts (INSERT ... ON CONFLICT) that work on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.base import Base, table_of

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def bulk_upsert(
    session: Session,
    target: type[Base] | Table,
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> int:
    """Insert `rows`; on a conflict on `conflict_columns` update `update_columns` (default: all others).

    With `update_columns=()` conflicting rows are left as they are (ON CONFLICT DO NOTHING). Every row
    must have the same keys. Sent as one executemany (SQLAlchemy batches it into multi-row VALUES).
    Returns the number of rows sent. Runs inside the caller's transaction.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert_fn = _INSERTS.get(dialect)
    if insert_fn is None:
        raise NotImplementedError(f"bulk_upsert does not support the {dialect} dialect")
    if update_columns is None:
        update_columns = [c for c in rows[0] if c not in conflict_columns]
    stmt: Any = insert_fn(table_of(target))
    if update_columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(conflict_columns),
            set_={c: stmt.excluded[c] for c in update_columns},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
    session.execute(stmt, list(rows))
    return len(rows)
