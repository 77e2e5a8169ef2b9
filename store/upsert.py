"""Set-based bulk upserts (INSERT ... ON CONFLICT) that work on SQLite and PostgreSQL.

The statement is compiled once per (table, columns, conflict) and sent with the driver's own
`executemany`; column types' bind processing (UTC datetimes, JSON, decimals) is applied per column in
one tight loop. That keeps SQLAlchemy's per-row statement machinery out of the sync's hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from store.base import Base, table_of

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}

Processor = Callable[[Any], Any] | None
Default = Callable[[], Any] | None


def _default(table: Table, name: str) -> Default:
    """The Python-side default the ORM would fill for a column the rows leave out."""
    default = table.c[name].default
    if default is None:
        return None
    arg: Any = getattr(default, "arg", None)
    if getattr(default, "is_callable", False):
        return lambda: arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
    return lambda: arg


@lru_cache(maxsize=256)
def _compiled(
    table: Table,
    dialect: Dialect,
    columns: tuple[str, ...],
    conflict: tuple[str, ...] | None,
    update: tuple[str, ...],
    conflict_where: Any = None,
) -> tuple[str, tuple[str, ...], tuple[Processor, ...], tuple[Default, ...], bool]:
    """(SQL, parameter order, bind processors and defaults in that order, positional?) for one shape.

    Columns the rows leave out but that have a Python-side default appear as parameters too (the
    compiler adds them, as an ORM insert would); their values come from the column's default.
    `conflict=None` is a plain INSERT (a conflict is an error); `conflict_where` names a partial unique
    index's predicate."""
    insert_fn = _INSERTS.get(dialect.name)
    if insert_fn is None:
        raise NotImplementedError(f"bulk_upsert does not support the {dialect.name} dialect")
    stmt: Any = insert_fn(table).values({c: bindparam(c) for c in columns})
    if conflict is None:
        pass
    elif update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict), index_where=conflict_where)
    compiled = stmt.compile(dialect=dialect)
    positional = bool(compiled.positional)
    order = tuple(compiled.positiontup or ()) if positional else tuple(compiled.params)
    processors = tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in order)
    defaults = tuple(None if c in columns else _default(table, c) for c in order)
    return str(compiled), order, processors, defaults, positional


def bulk_upsert(
    session: Session,
    target: type[Base] | Table,
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> int:
    """Insert `rows`; on a conflict on `conflict_columns` update `update_columns` (default: all others).

    With `update_columns=()` conflicting rows are left as they are (ON CONFLICT DO NOTHING). Every row
    must have the same keys. Returns the number of rows sent. Runs inside the caller's transaction.
    """
    if not rows:
        return 0
    columns = tuple(rows[0])
    if update_columns is None:
        update_columns = [c for c in columns if c not in conflict_columns]
    _execute(session, table_of(target), rows, tuple(conflict_columns), tuple(update_columns))
    return len(rows)


def bulk_insert(
    session: Session,
    target: type[Base] | Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] | None = None,
    conflict_where: Any = None,
) -> int:
    """INSERT `rows` (same keys each) through the same compiled executemany path as `bulk_upsert`.

    A conflict raises, unless `skip_conflicts_on` names the unique columns (with `conflict_where`, the
    predicate of a partial unique index) whose conflicting rows are skipped. Returns the rows sent."""
    if rows:
        conflict = None if skip_conflicts_on is None else tuple(skip_conflicts_on)
        _execute(session, table_of(target), rows, conflict, (), conflict_where)
    return len(rows)


def _execute(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    conflict: tuple[str, ...] | None,
    update: tuple[str, ...],
    conflict_where: Any = None,
) -> None:
    columns = tuple(rows[0])
    connection = session.connection()
    sql, order, processors, defaults, positional = _compiled(
        table, connection.dialect, columns, conflict, update, conflict_where
    )
    if any(defaults):
        filled = [(c, d) for c, d in zip(order, defaults, strict=True) if d is not None]
        rows = [{**{c: d() for c, d in filled}, **row} for row in rows]
    # Values are picked in one C-level call per row; only columns whose type converts are touched.
    pick = itemgetter(*order)
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]
    params: list[Any] = []
    for row in rows:
        values = list(pick(row)) if len(order) > 1 else [pick(row)]
        for i, process in convert:
            values[i] = process(values[i])
        params.append(tuple(values) if positional else dict(zip(order, values, strict=True)))
    connection.exec_driver_sql(sql, params)
