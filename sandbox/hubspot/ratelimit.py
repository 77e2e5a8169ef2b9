"""HubSpot's rate limits: a rolling per-interval limit (default 190 requests / 10 s) for every call and
a separate limit of 5 requests per second for search, each per access token."""

from __future__ import annotations

import threading
import time
from collections import deque


class RollingLimit:
    def __init__(self, max_requests: int, interval: float) -> None:
        self.max = max_requests
        self.interval = interval
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def configure(self, max_requests: int, interval: float) -> None:
        with self._lock:
            self.max, self.interval = max_requests, interval
            self._hits.clear()

    def take(self) -> tuple[bool, int]:
        """Count one request if the window has room; returns (allowed, remaining after it)."""
        now = time.monotonic()
        with self._lock:
            while self._hits and self._hits[0] <= now - self.interval:
                self._hits.popleft()
            if len(self._hits) >= self.max:
                return False, 0
            self._hits.append(now)
            return True, self.max - len(self._hits)
