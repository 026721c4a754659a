"""A job run every ``interval`` seconds on a background thread (``serve``'s sync scheduler)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Periodic"]

_log = logging.getLogger(__name__)


class Periodic:
    """Runs ``job`` once at start and then every ``interval`` seconds until ``stop()``.

    The interval runs from start to start, so a run's own duration does not stretch it: what
    a partner stored is pulled within about one interval, which is what bounds propagation to
    hops x interval (+ slack, ``bench/coalition.py``). Runs never overlap, and are never
    closer than one interval.

    A run that raises is logged and the schedule goes on: one partner that is down must not
    stop sync with the others, nor the server. ``stop()`` waits for a run in progress.
    """

    def __init__(
        self,
        interval: float,
        job: Callable[[], object],
        name: str = "periodic",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._interval = interval
        self._job = job
        self._monotonic = monotonic
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.runs = 0

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for it (a run in progress finishes first)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            started = self._monotonic()
            try:
                self._job()
            except Exception:
                _log.exception("scheduled run failed; trying again in %s s", self._interval)
            self.runs += 1
            # Start to start: the run's own duration counts against the interval (a run that
            # took longer than it is followed at once by the next, never by two at a time).
            pause = max(0.0, started + self._interval - self._monotonic())
            # Event.wait returns early on stop(): the loop ends within one interval at most.
            self._stopping.wait(pause)
