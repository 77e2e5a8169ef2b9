"""The work after an ack: acknowledgements first, the store and Slack calls of lazy listeners after.

All of the bot's Python threads share one interpreter lock. When a burst of clicks arrives, each click's
lazy work (store update, re-render, chat.update) would otherwise run beside the next clicks' requests and
take the lock from them, so the acks queue behind the work they were meant to precede. Two things keep
the acks fast:

- `BusyGate` counts the requests the bot's HTTP server is answering (from accept to the last byte).
- `QueuedLazyRunner` runs Bolt's lazy listeners on a few long-lived workers fed by a queue. Before each
  job a worker waits until the gate has been quiet for a moment, but never longer than `max_defer`
  seconds after the job's ack, so a steady stream of requests delays the work by at most that much
  (a modal opened from a click must reach Slack within the trigger_id's 3 seconds).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger

from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.lazy_listener.internals import build_runnable_function
from slack_bolt.request import BoltRequest

QUIET_SECONDS = 0.02  # no request in flight for this long: the burst is over
MAX_DEFER_SECONDS = 0.5
WORKERS = 2


class BusyGate:
    """How many requests are being answered now, and a wait for a quiet moment."""

    def __init__(self, quiet: float = QUIET_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._quiet = quiet
        self._clock = clock
        self._in_flight = 0
        self._last_left = -math.inf
        self._changed = threading.Condition()

    @property
    def in_flight(self) -> int:
        with self._changed:
            return self._in_flight

    def enter(self) -> None:
        with self._changed:
            self._in_flight += 1

    def leave(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._last_left = self._clock()
            self._changed.notify_all()

    def wait_quiet(self, deadline: float) -> bool:
        """Block until no request has been in flight for the quiet period, or until `deadline` (on this
        gate's clock). True when it is quiet."""
        with self._changed:
            while True:
                now = self._clock()
                quiet_in = self._last_left + self._quiet - now if self._in_flight == 0 else math.inf
                if quiet_in <= 0:
                    return True
                if now >= deadline:
                    return False
                timeout = min(quiet_in, deadline - now)
                self._changed.wait(None if math.isinf(timeout) else timeout)


@dataclass(frozen=True)
class _Job:
    deadline: float  # run by then even if requests keep coming
    run: Callable[[], None]


class QueuedLazyRunner(LazyListenerRunner):
    """Bolt's lazy listeners on `workers` threads draining one queue; see the module's docstring."""

    def __init__(
        self,
        logger: Logger,
        gate: BusyGate | None = None,
        *,
        workers: int = WORKERS,
        max_defer: float = MAX_DEFER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.gate = gate
        self._max_defer = max_defer
        self._clock = clock
        self._jobs: queue.Queue[_Job | None] = queue.Queue()  # None: a worker stops
        self._workers = [
            threading.Thread(target=self._work, name=f"slack-work-{i}", daemon=True) for i in range(workers)
        ]
        self._started = False
        self._stopped = False
        self._lock = threading.Lock()

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        job = build_runnable_function(func=function, logger=self.logger, request=request)
        with self._lock:  # queued under the lock, so never behind the stop markers `stop` puts
            stopped = self._stopped
            if not self._started:
                self._started = True
                for worker in self._workers:
                    worker.start()
            if not stopped:
                self._jobs.put(_Job(self._clock() + self._max_defer, job))  # unbounded: never blocks
        if stopped:  # acked while shutting down: no worker is left to take it, so run it here
            job()

    def pending(self) -> int:
        """Jobs queued and not yet taken by a worker."""
        return self._jobs.qsize()

    def join(self) -> None:
        """Wait until every queued job has run."""
        self._jobs.join()

    def stop(self, timeout: float = 10.0) -> None:
        """Run what is queued, then end the workers."""
        with self._lock:
            started, self._started = self._started, True  # no worker starts after this
            self._stopped = True  # work acked from now on runs in the acking thread
        if not started:
            return
        for _ in self._workers:
            self._jobs.put(None)
        for worker in self._workers:
            worker.join(timeout)

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            try:
                if item is None:
                    return
                if self.gate is not None:
                    self.gate.wait_quiet(item.deadline)
                item.run()  # Bolt's wrapper logs a listener's exception
            finally:
                self._jobs.task_done()
