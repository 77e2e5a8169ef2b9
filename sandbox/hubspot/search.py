"""CRM search: filterGroups (OR of ANDed filters) and sorts translated to SQL over the state, with
HubSpot's limits: at most 5 groups, 6 filters per group and 18 in all, `limit` <= 200, and the hard cap
on how deep `after` may page (10,000 results by default)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.hubspot.schema import MODIFIED_PROPERTY, prop
from sandbox.hubspot.state import Rec, State, iso_ms

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_LIMIT = 200
DEFAULT_CAP = 10_000

_OPS = {"EQ": "=", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}


class SearchError(ValueError):
    """A request HubSpot refuses with 400 VALIDATION_ERROR."""


@dataclass
class SearchResult:
    total: int
    results: list[Rec]
    next_after: str | None


def _ms(value: Any) -> int:
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise SearchError(f"{value!r} is not a valid date-time value") from None


def _column(object_type: str, name: str) -> tuple[str, Any]:
    """(SQL expression, converter for filter values) for a property."""
    if name == "hs_object_id":
        return "id", lambda v: int(v)
    if name == "createdate":
        return "created_ms", _ms
    if name == MODIFIED_PROPERTY[object_type]:
        return "modified_ms", _ms
    p = prop(object_type, name)
    if p is None:
        raise SearchError(f"There was a problem with the request: property {name!r} does not exist")
    expr = f"json_extract(props, '$.{name}')"
    if p.type == "number":
        return f"CAST({expr} AS REAL)", lambda v: float(v)
    if p.type == "datetime":
        return expr, lambda v: iso_ms(_ms(v))
    return expr, str


def _filter_sql(object_type: str, f: dict[str, Any]) -> tuple[str, list[Any]]:
    name, op = f.get("propertyName"), f.get("operator", "EQ")
    if not name:
        raise SearchError("filter is missing propertyName")
    col, conv = _column(object_type, name)
    if op in _OPS:
        if f.get("value") is None:
            raise SearchError(f"operator {op} needs a value")
        return f"{col} {_OPS[op]} ?", [conv(f["value"])]
    if op in ("IN", "NOT_IN"):
        values = [conv(v) for v in f.get("values") or []]
        if not values:
            raise SearchError(f"operator {op} needs values")
        marks = ",".join("?" * len(values))
        return f"{col} {'NOT ' if op == 'NOT_IN' else ''}IN ({marks})", values
    if op == "BETWEEN":
        return f"{col} BETWEEN ? AND ?", [conv(f["value"]), conv(f["highValue"])]
    if op == "HAS_PROPERTY":
        return f"{col} IS NOT NULL", []
    if op == "NOT_HAS_PROPERTY":
        return f"{col} IS NULL", []
    raise SearchError(f"operator {op!r} is not supported")


def _sort_sql(object_type: str, sorts: list[Any]) -> str:
    if not sorts:
        return "id ASC"
    first = sorts[0]
    if isinstance(first, str):
        name, desc = first.lstrip("-"), first.startswith("-")
    else:
        name, desc = first.get("propertyName", ""), first.get("direction", "ASCENDING") == "DESCENDING"
    col, _ = _column(object_type, name)
    direction = "DESC" if desc else "ASC"
    return f"{col} {direction}, id {direction}"


def search(state: State, object_type: str, body: dict[str, Any], cap: int = DEFAULT_CAP) -> SearchResult:
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise SearchError(f"filterGroups may hold at most {MAX_GROUPS} groups, got {len(groups)}")
    if sum(len(g.get("filters") or []) for g in groups) > MAX_FILTERS:
        raise SearchError(f"a search may hold at most {MAX_FILTERS} filters")
    clauses, params = [], []
    for g in groups:
        filters = g.get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise SearchError(f"a filter group may hold at most {MAX_FILTERS_PER_GROUP} filters")
        parts = [_filter_sql(object_type, f) for f in filters]
        if parts:
            clauses.append("(" + " AND ".join(sql for sql, _ in parts) + ")")
            params += [v for _, vs in parts for v in vs]
    limit = int(body.get("limit") or 10)
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    after = int(body.get("after") or 0)
    if after >= cap:
        raise SearchError(f"The search API cannot page past {cap:,} results; narrow the filter instead")
    limit = min(limit, cap - after)
    where = "type = ? AND archived = 0" + (f" AND ({' OR '.join(clauses)})" if clauses else "")
    all_params = [object_type, *params]
    total = int(state.scalar(f"SELECT count(*) FROM objects WHERE {where}", all_params))
    rows = state.query(
        f"{where} ORDER BY {_sort_sql(object_type, body.get('sorts') or [])} LIMIT ? OFFSET ?",
        [*all_params, limit, after],
    )
    end = after + len(rows)
    next_after = str(end) if end < min(total, cap) else None
    return SearchResult(total, rows, next_after)
