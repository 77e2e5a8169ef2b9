"""The portal's state in one SQLite file (`state_dir/hubspot.sqlite3`): objects with their properties,
and associations stored in both directions. A restart with the same state_dir keeps everything.

Property values are strings, as HubSpot returns them. `hs_object_id`, `createdate` and the modification
date live in columns (so search can sort and filter on them) and are added to `props` when read.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.hubspot.schema import MODIFIED_PROPERTY, PROPERTIES

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    type TEXT NOT NULL, id INTEGER NOT NULL, props TEXT NOT NULL,
    created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0, archived_ms INTEGER,
    PRIMARY KEY (type, id)
);
CREATE INDEX IF NOT EXISTS ix_objects_modified ON objects (type, archived, modified_ms, id);
CREATE TABLE IF NOT EXISTS unique_values (
    type TEXT NOT NULL, prop TEXT NOT NULL, value TEXT NOT NULL, id INTEGER NOT NULL,
    PRIMARY KEY (type, prop, value)
);
CREATE TABLE IF NOT EXISTS assoc (
    from_type TEXT NOT NULL, from_id INTEGER NOT NULL, to_type TEXT NOT NULL, to_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL, category TEXT NOT NULL,
    PRIMARY KEY (from_type, from_id, to_type, to_id, type_id)
);
CREATE TABLE IF NOT EXISTS seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_UNIQUE = {t: [p.name for p in props if p.unique] for t, props in PROPERTIES.items()}


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass
class Rec:
    type: str
    id: int
    props: dict[str, str | None]
    created_ms: int
    modified_ms: int
    archived: bool = False
    archived_ms: int | None = None

    def full_props(self) -> dict[str, str | None]:
        return self.props | {
            "hs_object_id": str(self.id),
            "createdate": iso_ms(self.created_ms),
            MODIFIED_PROPERTY[self.type]: iso_ms(self.modified_ms),
        }


class Conflict(Exception):
    """A unique property value is already taken (HubSpot answers 409)."""

    def __init__(self, prop: str, value: str, existing_id: int) -> None:
        super().__init__(f"A {prop} with value {value!r} already exists (id {existing_id})")
        self.existing_id = existing_id


class State:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self._db.close()

    # -- ids -------------------------------------------------------------------------------------

    def _next_ids(self, n: int) -> range:
        row = self._db.execute("SELECT value FROM seq WHERE name = 'id'").fetchone()
        first = row[0] if row else 10_001
        self._db.execute(
            "INSERT INTO seq (name, value) VALUES ('id', ?) ON CONFLICT(name) DO UPDATE SET value = ?",
            (first + n, first + n),
        )
        return range(first, first + n)

    def is_empty(self) -> bool:
        with self.lock:
            return self._db.execute("SELECT 1 FROM objects LIMIT 1").fetchone() is None

    # -- objects ---------------------------------------------------------------------------------

    def insert_many(self, object_type: str, rows: Sequence[tuple[dict[str, Any], int, int]]) -> list[int]:
        """Bulk insert (props, created_ms, modified_ms) rows; returns their new ids (loading only)."""
        with self.lock:
            self._db.execute("BEGIN")
            ids = list(self._next_ids(len(rows)))
            self._db.executemany(
                "INSERT INTO objects (type, id, props, created_ms, modified_ms) VALUES (?, ?, ?, ?, ?)",
                [(object_type, i, json.dumps(p), c, m) for i, (p, c, m) in zip(ids, rows, strict=True)],
            )
            self._db.executemany(
                "INSERT INTO unique_values (type, prop, value, id) VALUES (?, ?, ?, ?)",
                [
                    (object_type, name, p[name], i)
                    for i, (p, _, _) in zip(ids, rows, strict=True)
                    for name in _UNIQUE[object_type]
                    if p.get(name)
                ],
            )
            self._db.execute("COMMIT")
            return ids

    def _row(self, row: tuple[Any, ...]) -> Rec:
        return Rec(row[0], row[1], json.loads(row[2]), row[3], row[4], bool(row[5]), row[6])

    _COLS = "type, id, props, created_ms, modified_ms, archived, archived_ms"

    def get(self, object_type: str, object_id: int, archived: bool = False) -> Rec | None:
        with self.lock:
            row = self._db.execute(
                f"SELECT {self._COLS} FROM objects WHERE type = ? AND id = ? AND archived = ?",
                (object_type, object_id, int(archived)),
            ).fetchone()
        return self._row(row) if row else None

    def find_unique(self, object_type: str, prop: str, value: str) -> Rec | None:
        with self.lock:
            row = self._db.execute(
                "SELECT id FROM unique_values WHERE type = ? AND prop = ? AND value = ?",
                (object_type, prop, value),
            ).fetchone()
        return self.get(object_type, row[0]) if row else None

    def _check_unique(self, object_type: str, props: dict[str, Any], own_id: int | None) -> None:
        for name in _UNIQUE[object_type]:
            value = props.get(name)
            if not value:
                continue
            row = self._db.execute(
                "SELECT id FROM unique_values WHERE type = ? AND prop = ? AND value = ?",
                (object_type, name, value),
            ).fetchone()
            if row and row[0] != own_id:
                raise Conflict(name, value, row[0])

    def _set_unique(self, object_type: str, object_id: int, props: dict[str, Any]) -> None:
        for name in _UNIQUE[object_type]:
            if name in props:
                self._db.execute(
                    "DELETE FROM unique_values WHERE type = ? AND prop = ? AND id = ?",
                    (object_type, name, object_id),
                )
                if props[name]:
                    self._db.execute(
                        "INSERT INTO unique_values (type, prop, value, id) VALUES (?, ?, ?, ?)",
                        (object_type, name, props[name], object_id),
                    )

    def create(self, object_type: str, props: dict[str, Any], now_ms: int) -> Rec:
        with self.lock:
            self._check_unique(object_type, props, None)
            self._db.execute("BEGIN")
            (object_id,) = self._next_ids(1)
            self._db.execute(
                "INSERT INTO objects (type, id, props, created_ms, modified_ms) VALUES (?, ?, ?, ?, ?)",
                (object_type, object_id, json.dumps(props), now_ms, now_ms),
            )
            self._set_unique(object_type, object_id, props)
            self._db.execute("COMMIT")
            return Rec(object_type, object_id, dict(props), now_ms, now_ms)

    def update(
        self, object_type: str, object_id: int, props: dict[str, Any], now_ms: int | None
    ) -> Rec | None:
        """Change a record's properties; `now_ms` None: a change HubSpot makes itself (a deal's exchange
        rate after a rate update), which leaves the modification date as it is."""
        with self.lock:
            rec = self.get(object_type, object_id)
            if rec is None:
                return None
            self._check_unique(object_type, props, object_id)
            rec.props.update(props)
            if now_ms is not None:
                rec.modified_ms = max(now_ms, rec.modified_ms)
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE objects SET props = ?, modified_ms = ? WHERE type = ? AND id = ?",
                (json.dumps(rec.props), rec.modified_ms, object_type, object_id),
            )
            self._set_unique(object_type, object_id, props)
            self._db.execute("COMMIT")
            return rec

    def archive(self, object_type: str, object_id: int, now_ms: int) -> bool:
        with self.lock:
            cur = self._db.execute(
                "UPDATE objects SET archived = 1, archived_ms = ?, modified_ms = ? "
                "WHERE type = ? AND id = ? AND archived = 0",
                (now_ms, now_ms, object_type, object_id),
            )
            self._db.execute("DELETE FROM unique_values WHERE type = ? AND id = ?", (object_type, object_id))
            return cur.rowcount == 1

    def purge(self, object_type: str, object_id: int) -> None:
        """Remove a record outright (a create that failed half-way never existed)."""
        with self.lock:
            self._db.execute("DELETE FROM objects WHERE type = ? AND id = ?", (object_type, object_id))
            self._db.execute("DELETE FROM unique_values WHERE type = ? AND id = ?", (object_type, object_id))

    def list_page(self, object_type: str, after: int, limit: int, archived: bool) -> list[Rec]:
        with self.lock:
            rows = self._db.execute(
                f"SELECT {self._COLS} FROM objects WHERE type = ? AND archived = ? AND id > ? "
                "ORDER BY id LIMIT ?",
                (object_type, int(archived), after, limit),
            ).fetchall()
        return [self._row(r) for r in rows]

    def query(self, sql: str, params: Sequence[Any]) -> list[Rec]:
        """Objects selected by a WHERE/ORDER/LIMIT tail built by the search module."""
        with self.lock:
            rows = self._db.execute(f"SELECT {self._COLS} FROM objects WHERE {sql}", params).fetchall()
        return [self._row(r) for r in rows]

    def scalar(self, sql: str, params: Sequence[Any]) -> Any:
        with self.lock:
            return self._db.execute(sql, params).fetchone()[0]

    def count(self, object_type: str, archived: bool = False) -> int:
        return int(
            self.scalar(
                "SELECT count(*) FROM objects WHERE type = ? AND archived = ?", (object_type, int(archived))
            )
        )

    # -- associations ----------------------------------------------------------------------------

    def associate_many(self, links: Iterable[tuple[str, int, str, int, int, str]]) -> None:
        """Insert (from_type, from_id, to_type, to_id, type_id, category) rows as they are given."""
        with self.lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO assoc VALUES (?, ?, ?, ?, ?, ?)", links)
            self._db.execute("COMMIT")

    def remove_links(self, links: Iterable[tuple[str, int, str, int, int]]) -> None:
        with self.lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "DELETE FROM assoc WHERE from_type = ? AND from_id = ? AND to_type = ? AND to_id = ? "
                "AND type_id = ?",
                links,
            )
            self._db.execute("COMMIT")

    def associated(
        self, from_type: str, from_ids: Sequence[int], to_type: str
    ) -> dict[int, dict[int, list[tuple[int, str]]]]:
        """{from_id: {to_id: [(type_id, category), ...]}} for live (not archived) targets."""
        out: dict[int, dict[int, list[tuple[int, str]]]] = {}
        if not from_ids:
            return out
        marks = ",".join("?" * len(from_ids))
        with self.lock:
            rows = self._db.execute(
                "SELECT a.from_id, a.to_id, a.type_id, a.category FROM assoc a "
                "JOIN objects o ON o.type = a.to_type AND o.id = a.to_id AND o.archived = 0 "
                f"WHERE a.from_type = ? AND a.to_type = ? AND a.from_id IN ({marks}) "
                "ORDER BY a.from_id, a.to_id, a.type_id",
                (from_type, to_type, *from_ids),
            ).fetchall()
        for from_id, to_id, type_id, category in rows:
            out.setdefault(from_id, {}).setdefault(to_id, []).append((type_id, category))
        return out
