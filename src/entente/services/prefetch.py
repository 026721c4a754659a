"""Read ahead: the next item of an iterator is produced while the caller works on this one.

Sync applies a partner's page (parse, verify, store) while the partner is already preparing
the next one; without read-ahead the two nodes take turns waiting for each other.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

__all__ = ["prefetched"]

_T = TypeVar("_T")
_DONE = object()
_PUT_POLL_S = 0.1


def prefetched(items: Iterator[_T], depth: int = 1) -> Generator[_T, None, None]:
    """Yield what ``items`` yields, producing up to ``depth`` items ahead on a thread.

    The iterator runs on the producer thread only. An exception it raises is raised here, in
    order. Leaving the loop early (break, exception, close) stops the producer, which then
    closes nothing of the caller's: callers close their resources after the loop as usual.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        # Bounded waits: a consumer that went away sets ``stop`` and the producer ends.
        while not stop.is_set():
            try:
                ready.put(value, timeout=_PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item,)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
        put(_DONE)

    producer = threading.Thread(target=produce, name="prefetch", daemon=True)
    producer.start()
    try:
        while True:
            value = ready.get()
            if value is _DONE:
                return
            if isinstance(value, BaseException):
                raise value
            yield value[0]  # type: ignore[index]
    finally:
        stop.set()
        producer.join()
