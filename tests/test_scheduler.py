"""Leader election and the scheduler: one leader per database; jobs run only in the leader."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Engine

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
