"""prefetched: the same items in the same order as the plain iterator (its naive twin)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.services.prefetch import prefetched


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=4))
def test_yields_exactly_what_the_iterator_yields(items: list[int], depth: int) -> None:
    assert list(prefetched(iter(items), depth)) == items


def test_an_error_of_the_iterator_is_raised_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    seen: list[int] = []
    with pytest.raises(ValueError, match="page 3 failed"):
        for item in prefetched(failing()):
            seen.append(item)
    assert seen == [1, 2]


def test_it_reads_ahead_while_the_caller_works() -> None:
    produced: list[int] = []
    first_taken = threading.Event()

    def slow_source() -> Iterator[int]:
        for n in range(3):
            produced.append(n)
            yield n

    items = prefetched(slow_source())
    assert next(items) == 0
    first_taken.set()
    deadline = time.monotonic() + 5
    while len(produced) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    # The second item was produced before the caller asked for it.
    assert len(produced) >= 2
    assert list(items) == [1, 2]


def test_leaving_early_stops_the_producer() -> None:
    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    before = threading.active_count()
    for item in prefetched(endless()):
        if item == 3:
            break
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(prefetched(iter([1]), 0))
