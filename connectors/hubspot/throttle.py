"""Staying under HubSpot's rate limits without tripping them.

HubSpot reports its rolling limit in every response (`X-HubSpot-RateLimit-Max`, `-Remaining`,
`-Interval-Milliseconds`); search has its own per-second limit. `RateBudget` keeps the send times of its
own recent requests and, before each request, waits until one more fits in the window with `reserve`
slots to spare; it adopts the limits the headers announce and, when `Remaining` says other clients of
the same token use the budget too, waits for the window to free a slot.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping


class RateBudget:
    def __init__(
        self,
        max_requests: int,
        interval: float,
        *,
        reserve: int = 2,
        max_header: str = "X-HubSpot-RateLimit-Max",
        remaining_header: str = "X-HubSpot-RateLimit-Remaining",
        interval_header: str | None = "X-HubSpot-RateLimit-Interval-Milliseconds",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max = max_requests
        self.interval = interval
        self.reserve = reserve
        self._headers = (max_header.lower(), remaining_header.lower(), (interval_header or "").lower())
        self._sent: deque[float] = deque()
        self._pause_until = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep
        self._clock = clock
        self.waited = 0.0

    def _usable(self) -> int:
        return max(1, self.max - self.reserve)

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.interval:
                    self._sent.popleft()
                wait = self._pause_until - now
                if wait <= 0 and len(self._sent) < self._usable():
                    self._sent.append(now)
                    return
                if wait <= 0:
                    wait = self._sent[0] + self.interval - now
            wait = max(wait, 0.001)
            self.waited += wait
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Adopt the limits a response announced."""
        if not headers:
            return
        lowered = {k.lower(): v for k, v in headers.items()}
        max_h, remaining_h, interval_h = self._headers
        with self._lock:
            if lowered.get(max_h, "").isdigit():
                self.max = int(lowered[max_h])
            if interval_h and lowered.get(interval_h, "").isdigit():
                self.interval = int(lowered[interval_h]) / 1000
            remaining = lowered.get(remaining_h, "")
            if remaining.isdigit() and int(remaining) < self.reserve and self._sent:
                # Someone else shares this token: wait until our oldest request leaves the window.
                self._pause_until = max(self._pause_until, self._sent[0] + self.interval)

    def back_off(self, seconds: float) -> None:
        """After a 429: send nothing for `seconds`."""
        with self._lock:
            self._pause_until = max(self._pause_until, self._clock() + seconds)
