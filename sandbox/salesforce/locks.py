"""Records held by another transaction: an Apex trigger, a data load, a user saving the same account.

Salesforce waits about ten seconds for such a lock, then refuses the write with 400 UNABLE_TO_LOCK_ROW;
the same write a moment later succeeds. A write touches the record it changes or deletes, and the
records a new or changed record points at (a Task's WhatId locks its Account, a contact role its
Opportunity). `RowLocks.hold(record_id, refusals)` makes the next `refusals` writes touching that record
fail that way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sandbox.salesforce.coerce import SfError
from sandbox.salesforce.ids import to_18


class RowLocks:
    def __init__(self) -> None:
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def hold(self, record_id: str, refusals: int = 1) -> None:
        rid = to_18(record_id)
        if rid is None:
            raise ValueError(f"not a record id: {record_id!r}")
        with self._lock:
            self._held[rid] = refusals

    def check(self, values: Iterable[object]) -> None:
        """Refuse the write if any of `values` (the record's Id, the field values it writes) names a held
        record; each refusal uses up one of that record's."""
        if not self._held:
            return
        with self._lock:
            for value in values:
                rid = to_18(value) if isinstance(value, str) and len(value) in (15, 18) else None
                left = self._held.get(rid or "", 0)
                if left > 0:
                    self._held[str(rid)] = left - 1
                    raise SfError(
                        400,
                        "UNABLE_TO_LOCK_ROW",
                        f"unable to obtain exclusive access to this record or 1 records: {rid}",
                    )
