"""`column IN (the given ids)` as one bound parameter, whatever the number of ids.

An ordinary IN list renders one placeholder per id on every execution (an incremental pass over 10k
accounts rendered 110k of them); here the ids travel as one JSON array (SQLite's `json_each`) or one
text array (PostgreSQL's `unnest`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect


def in_ids(column: Any, ids: Sequence[str], dialect: Dialect) -> Any:
    if dialect.name == "postgresql":
        values = (
            func.unnest(bindparam(None, list(ids), type_=ARRAY(String)))
            .table_valued("value")
            .render_derived()
        )
    else:
        values = func.json_each(bindparam(None, json.dumps(list(ids)), type_=String)).table_valued("value")
    return column.in_(select(values.c.value))


def only(query: Any, column: Any, ids: Sequence[str] | None, dialect: Dialect) -> Any:
    """`query` limited to rows whose `column` is one of `ids`; all rows when `ids` is None."""
    return query if ids is None else query.where(in_ids(column, ids, dialect))


IdRange = tuple[str | None, str | None]  # [low, high): None leaves that end open


def within(query: Any, column: Any, bounds: IdRange | None) -> Any:
    """`query` limited to rows whose `column` lies in [low, high) (an index range scan); all rows when
    `bounds` is None."""
    if bounds is None:
        return query
    low, high = bounds
    if low is not None:
        query = query.where(column >= low)
    if high is not None:
        query = query.where(column < high)
    return query
