"""Column conversion in bulk writes: a run of one object is converted once, and only identical objects
count as a run (equal values may convert differently)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.dialects import sqlite

from store.types import JSONType, UTCDateTime
from store.upsert import _converted


def test_a_run_of_one_object_is_converted_once() -> None:
    calls: list[object] = []

    def process(value: object) -> str:
        calls.append(value)
        return f"<{value}>"

    first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    values = [first, first, first, second, second, first]
    assert _converted(process, values) == [f"<{v}>" for v in values]
    assert calls == [first, second, first]


def test_equal_but_distinct_objects_are_each_converted() -> None:
    """{"a": 1} == {"a": True}, but they are stored as different JSON."""
    process = JSONType.dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    one, true = {"a": 1}, {"a": True}
    stored = _converted(process, [one, one, true])
    assert [json.loads(s) for s in stored] == [{"a": 1}, {"a": 1}, {"a": True}]
    assert stored[2] != stored[0]


def test_columns_without_a_processor_or_a_run_are_passed_through() -> None:
    values = ["a", "a"]
    assert _converted(None, values) is values
    process = UTCDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    moments = [datetime(2026, 1, d, tzinfo=UTC) for d in (1, 2, 3)]
    assert _converted(process, moments) == [m.isoformat(" ", "microseconds")[:-6] for m in moments]
