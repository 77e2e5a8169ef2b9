"""Leader election: exactly one process runs the scheduler.

PostgreSQL: a session-level advisory lock held on a dedicated connection for as long as the process
leads. SQLite: an exclusive `flock` on a file beside the database. Other replicas only serve Slack and
try again at each election interval.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = structlog.get_logger(__name__)

# An arbitrary, fixed 63-bit key naming "retainer scheduler" among advisory locks.
ADVISORY_LOCK_KEY = 0x7265_7461_696E_6572 & 0x7FFF_FFFF_FFFF_FFFF


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...

    def release(self) -> None: ...

    @property
    def held(self) -> bool: ...


class PostgresAdvisoryLock:
    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock, or confirm this process still holds it. A session-level advisory lock lives
        as long as its session: if PostgreSQL restarted or the connection was cut, the server freed
        the lock (another replica may hold it now), so a dead connection means leadership is lost."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1")).scalar()
                self._conn.commit()
                return True
            except DBAPIError:
                log.warning("leader.connection_lost")
                self._drop()
        conn = self._engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar())
        conn.commit()
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            self._conn.commit()
        except DBAPIError:  # the session is gone, and the server freed its locks with it
            log.info("leader.released_with_session")
        finally:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except DBAPIError:
                pass


class FileLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def leader_lock_for(engine: Engine) -> Any:
    """The right lock for the engine's backend."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = engine.url.database or "retainer.db"
    if database == ":memory:":
        database = "retainer-memory.db"
    return FileLock(Path(f"{database}.leader.lock"))
