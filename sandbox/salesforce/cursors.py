"""Query cursors, released as Salesforce releases them.

A query larger than a page opens a server-side cursor. Salesforce releases it after 15 minutes without
a call, or when its user opens an 11th (the oldest goes); a `nextRecordsUrl` of a released cursor
answers 400 INVALID_QUERY_LOCATOR. The sandbox has one user, so the limit is the org's.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.salesforce.ids import QUERY_LOCATOR_PREFIX, make_id

MAX_CURSORS = 10  # open query cursors per user
CURSOR_IDLE = timedelta(minutes=15)


@dataclass
class Cursor:
    ids: list[str]
    sobject: str
    fields: tuple[str, ...]
    include_deleted: bool
    used_at: datetime


class Cursors:
    def __init__(self) -> None:
        self.idle = CURSOR_IDLE  # how long a cursor lives without a call (tests shorten it)
        self._open: OrderedDict[str, Cursor] = OrderedDict()
        self._ids = itertools.count(secrets.randbelow(10**9))
        self._lock = threading.Lock()

    def open(self, cursor: Cursor) -> str:
        """The new cursor's locator; the oldest open cursor is released if there are `MAX_CURSORS`."""
        with self._lock:
            locator = make_id(QUERY_LOCATOR_PREFIX, next(self._ids))
            while len(self._open) >= MAX_CURSORS:
                self._open.popitem(last=False)
            self._open[locator] = cursor
            return locator

    def use(self, locator: str, now: datetime) -> Cursor | None:
        """The cursor behind `locator`, its idle time restarted; None once released."""
        with self._lock:
            cursor = self._open.get(locator)
            if cursor is not None and now - cursor.used_at > self.idle:
                del self._open[locator]
                return None
            if cursor is not None:
                cursor.used_at = now
            return cursor
