"""The scheduler: APScheduler 3.x running the periodic jobs, only in the elected leader process.

Jobs are plain callables supplied by the composition root. Each job runs with `max_instances=1` and
`coalesce=True`: a slow run is never overlapped by the next one, and missed runs collapse into one.
A failing job is logged with its name and traceback and runs again at its next interval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from bot.leader import LeaderLock

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    func: Callable[[], object]


class LeaderScheduler:
    """Runs `jobs` while this process holds `lock`; re-tries the election every `election_every`."""

    def __init__(
        self, lock: LeaderLock, jobs: list[Job], election_every: timedelta = timedelta(seconds=30)
    ) -> None:
        self._lock = lock
        self._jobs = jobs
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)
        self._scheduler.add_job(
            self.elect, "interval", seconds=election_every.total_seconds(), id="election", coalesce=True
        )
        self._jobs_added = False
        self._electing = threading.RLock()

    @property
    def is_leader(self) -> bool:
        return self._lock.held

    def elect(self) -> bool:
        """Try to become (or stay) leader: schedule the jobs on winning, unschedule them on losing.
        Returns whether this process leads."""
        with self._electing:
            leads = self._lock.try_acquire()
            if leads and not self._jobs_added:
                for job in self._jobs:
                    self._scheduler.add_job(
                        self._guarded(job),
                        "interval",
                        seconds=job.every.total_seconds(),
                        id=job.name,
                        name=job.name,
                        max_instances=1,
                        coalesce=True,
                    )
                self._jobs_added = True
                log.info("scheduler.leader", jobs=[j.name for j in self._jobs])
            elif not leads and self._jobs_added:
                for job in self._jobs:
                    self._scheduler.remove_job(job.name)
                self._jobs_added = False
                log.warning("scheduler.leadership_lost", jobs=[j.name for j in self._jobs])
            return leads

    def _guarded(self, job: Job) -> Callable[[], object]:
        """The job, run only after confirming this process still leads (another replica may have
        taken over since the last election, e.g. after the database dropped our session)."""

        def run() -> object:
            if not self.elect():
                log.warning("scheduler.job_skipped_not_leader", job=job.name)
                return None
            return job.func()

        return run

    def run_now(self, name: str) -> object:
        """Run one job synchronously (the demo's time travel and `retainer check` use this)."""
        for job in self._jobs:
            if job.name == name:
                return job.func()
        raise KeyError(f"no job named {name!r}; jobs: {', '.join(j.name for j in self._jobs)}")

    def job_names(self) -> list[str]:
        return [j.name for j in self._jobs]

    def start(self) -> None:
        self.elect()
        self._scheduler.start()

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=True)
        try:
            self._lock.release()
        except Exception as exc:  # stopping must go on: the lock dies with the process anyway
            log.warning("scheduler.release_failed", error=repr(exc))

    def _on_error(self, event: JobExecutionEvent) -> None:
        log.error(
            "scheduler.job_failed", job=event.job_id, error=repr(event.exception), traceback=event.traceback
        )
