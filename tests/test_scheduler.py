"""Leader election and the scheduler: one leader per database; jobs run only in the leader."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from bot.leader import leader_lock_for
from bot.scheduler import Job, LeaderScheduler
from store.db import make_engine


def test_only_one_leader_per_database(engine: Engine, db_url: str) -> None:
    other_engine = make_engine(db_url)
    first, second = leader_lock_for(engine), leader_lock_for(other_engine)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.try_acquire()  # re-entrant for the holder
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()
        other_engine.dispose()


def test_jobs_run_only_in_the_leader(engine: Engine, db_url: str) -> None:
    runs: dict[str, int] = {"a": 0, "b": 0}
    ran = threading.Event()

    def job_for(name: str):  # type: ignore[no-untyped-def]
        def run() -> None:
            runs[name] += 1
            ran.set()

        return run

    other_engine = make_engine(db_url)
    leader = LeaderScheduler(leader_lock_for(engine), [Job("tick", timedelta(seconds=0.2), job_for("a"))])
    follower = LeaderScheduler(
        leader_lock_for(other_engine), [Job("tick", timedelta(seconds=0.2), job_for("b"))]
    )
    leader.start()
    follower.start()
    try:
        assert leader.is_leader and not follower.is_leader
        assert ran.wait(5)
        time.sleep(0.5)
        assert runs["a"] >= 2
        assert runs["b"] == 0
    finally:
        leader.shutdown()
        follower.shutdown()
        other_engine.dispose()
    assert follower.elect()  # once the leader is gone, the follower takes over
    follower._lock.release()


def test_run_now_runs_a_job_synchronously(engine: Engine) -> None:
    scheduler = LeaderScheduler(leader_lock_for(engine), [Job("answer", timedelta(hours=1), lambda: 42)])
    assert scheduler.run_now("answer") == 42
    assert scheduler.job_names() == ["answer"]


def test_a_leader_whose_database_session_died_stops_running_jobs(engine: Engine, db_url: str) -> None:
    """PostgreSQL frees a session's advisory lock when the session ends (a restart, a cut connection):
    another replica then leads, and the old leader unschedules its jobs instead of running them too."""
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite's flock dies only with the process")
    runs: dict[str, int] = {"a": 0, "b": 0}

    def count(name: str):  # type: ignore[no-untyped-def]
        def run() -> None:
            runs[name] += 1

        return run

    other_engine = make_engine(db_url)
    first = LeaderScheduler(leader_lock_for(engine), [Job("tick", timedelta(hours=1), count("a"))])
    second = LeaderScheduler(leader_lock_for(other_engine), [Job("tick", timedelta(hours=1), count("b"))])
    try:
        assert first.elect() and not second.elect()
        leader_conn = first._lock._conn
        assert leader_conn is not None
        leader_pid = leader_conn.execute(text("SELECT pg_backend_pid()")).scalar()
        leader_conn.commit()
        with engine.connect() as admin:  # the leader's session is terminated under it
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": leader_pid})
            # pg_terminate_backend only signals: the lock is freed once that backend has exited
            deadline = time.monotonic() + 10
            while admin.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": leader_pid}
            ).scalar():
                assert time.monotonic() < deadline, "the terminated backend did not exit"
                admin.rollback()
                time.sleep(0.05)
        assert second.elect()  # the lock was freed with the session
        assert not first.elect() and not first.is_leader
        assert first._scheduler.get_job("tick") is None  # its jobs are unscheduled
        guarded = second._scheduler.get_job("tick")
        assert guarded is not None
        guarded.func()
        assert runs == {"a": 0, "b": 1}
    finally:
        first._lock.release()
        second._lock.release()
        other_engine.dispose()
