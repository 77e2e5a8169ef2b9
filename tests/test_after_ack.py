"""The work after an ack: `QueuedLazyRunner` runs lazy listeners on a bounded set of workers that wait
for a quiet `BusyGate` (up to a deadline)."""

from __future__ import annotations

import logging
import queue
import threading
import time

from slack_bolt.request import BoltRequest

from bot.slack.after_ack import BusyGate, QueuedLazyRunner

LOG = logging.getLogger(__name__)
WAIT = 10.0  # generous bound for a thread to get somewhere; no assertion depends on timing


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class WatchedGate(BusyGate):
    """A gate that tells when a worker has started waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait_quiet(self, deadline: float) -> bool:
        self.waiting.set()
        return super().wait_quiet(deadline)


def _request() -> BoltRequest:
    return BoltRequest(body="{}", headers={"content-type": ["application/json"]})


def test_a_gate_is_quiet_once_no_request_has_been_in_flight_for_the_quiet_period() -> None:
    clock = FakeClock()
    gate = BusyGate(quiet=0.02, clock=clock)
    assert gate.wait_quiet(deadline=clock.now) is True  # never used: quiet

    gate.enter()
    gate.enter()
    assert gate.in_flight == 2
    assert gate.wait_quiet(deadline=clock.now) is False  # busy, and the deadline has come
    gate.leave()
    assert gate.wait_quiet(deadline=clock.now) is False  # one still in flight
    gate.leave()
    assert gate.in_flight == 0
    assert gate.wait_quiet(deadline=clock.now) is False  # idle, but not for the quiet period yet
    clock.now += 0.02
    assert gate.wait_quiet(deadline=clock.now) is True


def test_waiting_without_a_deadline_returns_once_the_last_request_leaves() -> None:
    gate = BusyGate(quiet=0.0)
    gate.enter()
    leaver = threading.Timer(0.05, gate.leave)
    leaver.start()
    assert gate.wait_quiet(deadline=float("inf")) is True
    leaver.join()


def test_work_after_the_ack_waits_while_requests_are_in_flight() -> None:
    gate = WatchedGate()
    runner = QueuedLazyRunner(LOG, gate, workers=1, max_defer=3600)
    ran = threading.Event()
    gate.enter()
    runner.start(ran.set, _request())

    assert gate.waiting.wait(WAIT)
    assert not ran.is_set()  # the worker is blocked on the gate: a request is in flight
    gate.leave()
    assert ran.wait(WAIT)
    runner.stop()


def test_work_runs_at_its_deadline_even_if_requests_keep_coming() -> None:
    gate = BusyGate()
    gate.enter()  # never leaves
    runner = QueuedLazyRunner(LOG, gate, workers=1, max_defer=0.0)
    ran = threading.Event()
    runner.start(ran.set, _request())
    assert ran.wait(WAIT)
    runner.stop()


def test_lazy_listeners_run_on_a_bounded_set_of_workers_and_stop_runs_what_is_queued() -> None:
    runner = QueuedLazyRunner(LOG, workers=2)
    release = threading.Event()
    names: list[str] = []
    lock = threading.Lock()

    def job() -> None:
        release.wait(WAIT)
        with lock:
            names.append(threading.current_thread().name)

    for _ in range(6):
        runner.start(job, _request())
    release.set()
    runner.stop()
    assert len(names) == 6
    assert set(names) <= {"slack-work-0", "slack-work-1"}


def test_a_listener_that_fails_does_not_end_its_worker() -> None:
    runner = QueuedLazyRunner(LOG, workers=1)
    ran = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    runner.start(boom, _request())
    runner.start(ran.set, _request())
    assert ran.wait(WAIT)
    runner.stop()


def test_work_acked_while_stopping_still_runs() -> None:
    """Slack keeps delivering while the bot shuts down: what was acked after `stop` began is run in the
    acking thread instead of waiting in a queue no worker will read."""
    runner = QueuedLazyRunner(LOG, workers=1)
    ran: list[str] = []
    runner.start(lambda: ran.append("before"), _request())
    runner.stop()
    runner.start(lambda: ran.append("after"), _request())
    assert ran == ["before", "after"] and runner.pending() == 0


class _SlowToQueueJobs(queue.Queue):  # type: ignore[type-arg]
    """A queue whose jobs (not the stop markers) take a moment to be queued: room for a stop to begin
    between an ack deciding to queue its work and the work being queued."""

    def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
        if item is not None:
            time.sleep(0.3)
        super().put(item, block, timeout)


def test_work_acked_just_as_stopping_begins_is_not_left_behind_the_stop_markers() -> None:
    runner = QueuedLazyRunner(LOG, workers=1)
    runner._jobs = _SlowToQueueJobs()
    ran = threading.Event()
    acking = threading.Thread(target=runner.start, args=(ran.set, _request()))
    acking.start()
    time.sleep(0.1)  # the ack is queueing its work
    runner.stop()
    acking.join(WAIT)
    assert ran.wait(WAIT) and runner.pending() == 0
