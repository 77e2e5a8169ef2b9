"""Reading ahead: run an iterator in a worker thread, a few items ahead of its consumer.

A sync alternates between waiting for the CRM (a page's HTTP round trip and JSON decoding) and writing
to the store. Both mostly wait (on the socket, on SQLite or PostgreSQL), so running the fetch in a
thread of its own lets the next page travel while the current one is written.

Order and failure semantics are those of the plain iterator: items arrive in order, and an exception
raised by the source is raised to the consumer *after* every item produced before it, so a sync still
commits each page it received before a failure. When the consumer stops early (an error while
writing, a `break`, garbage collection), the worker stops at its next item and closes the source.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = _Done()


class _Worker(Generic[T]):
    def __init__(self, source: Iterable[T], depth: int, name: str) -> None:
        self.items: queue.Queue[T | _Done | _Failed] = queue.Queue(maxsize=depth)
        self.stopping = threading.Event()
        self.source = source
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _put(self, item: T | _Done | _Failed) -> bool:
        """Hand `item` over, waiting for room; False once the consumer has gone."""
        while not self.stopping.is_set():
            try:
                self.items.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        iterator = iter(self.source)
        try:
            for item in iterator:
                if not self._put(item):
                    break
            else:
                self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, who raises it
            self._put(_Failed(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()


def prefetched(source: Iterable[T], *, depth: int = 2, name: str = "prefetch") -> Iterator[T]:
    """Iterate `source` in a worker thread, keeping up to `depth` items ready ahead of the consumer."""
    worker = _Worker(source, depth, name)
    try:
        while True:
            item = worker.items.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        worker.stop()
