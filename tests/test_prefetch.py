"""Reading ahead keeps the iterator's order and failure semantics and stops when the consumer does."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from connectors.prefetch import prefetched


def test_items_arrive_in_order_and_the_next_is_fetched_while_the_consumer_works() -> None:
    produced: list[int] = []
    second_ready = threading.Event()

    def source() -> Iterator[int]:
        for i in range(5):
            produced.append(i)
            if i == 1:
                second_ready.set()
            yield i

    seen = []
    for item in prefetched(source(), depth=2):
        if item == 0:
            # the consumer is busy with item 0: the worker fetches item 1 meanwhile
            assert second_ready.wait(timeout=5)
        seen.append(item)
    assert seen == produced == [0, 1, 2, 3, 4]


def test_reading_ahead_is_bounded_by_depth() -> None:
    produced: list[int] = []

    def source() -> Iterator[int]:
        for i in range(100):
            produced.append(i)
            yield i

    items = prefetched(source(), depth=2)
    assert next(items) == 0
    threading.Event().wait(0.3)
    # item 0 handed over, two waiting in the queue, at most one more in the worker's hand
    assert len(produced) <= 4
    items.close()


def test_a_failure_arrives_after_every_item_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("dropped mid-body")

    seen = []
    with pytest.raises(ConnectionError, match="dropped mid-body"):
        for item in prefetched(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    with pytest.raises(RuntimeError):
        for item in prefetched(source()):
            if item == 3:
                raise RuntimeError("the write failed")
    assert closed.wait(timeout=5)
