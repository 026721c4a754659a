"""Audit entries written off the request path: requests submit them, a thread appends them.

A read must not wait for a write (issue 11 §5): on SQLite an append waits for the database's
one write lock, which ``entente ingest`` holds for a whole document, and on any backend a
synchronous append costs each page a commit (an fsync) before its last chunk could go out;
bench/audit.py measured that at a third of TAXII paging's rate. So requests only ``submit``
their entries; a background thread appends everything submitted every ``FLUSH_INTERVAL_S``
in one transaction (the entries of many requests share one commit), keeps what it could not
write for the next try, and ``stop`` appends the rest when the server shuts down. An entry is
acknowledged once its append committed and is never lost after that; what a crash can lose is
at most the last interval's entries, never a committed one, and never silently in a clean
shutdown. When nothing was submitted since the last append, the thread indexes the object
ids of the entries appended before, a step at a time (``store.sql_audit``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Final

from entente.audit import EntryDraft
from entente.errors import EntenteError
from entente.services.audit_log import AuditLog
from entente.services.periodic import Periodic

__all__ = ["FLUSH_INTERVAL_S", "AuditRecorder"]

FLUSH_INTERVAL_S: Final = 0.2
"""Seconds between appends of submitted entries: the most a crash could lose."""

_log = logging.getLogger(__name__)


class AuditRecorder:
    """Queues submitted entries in memory and appends them to the audit log in batches."""

    def __init__(self, log: AuditLog, *, interval: float = FLUSH_INTERVAL_S) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._log = log
        self._interval = interval
        self._lock = threading.Lock()
        # Serialises flushes, so that batches are appended in the order they were submitted.
        self._writing = threading.Lock()
        self._pending: list[EntryDraft] = []
        self._flusher: Periodic | None = None

    def submit(self, drafts: Sequence[EntryDraft]) -> None:
        """Queue ``drafts`` for the next append; cheap, never raises, never waits for I/O."""
        if drafts:
            with self._lock:
                self._pending.extend(drafts)

    def pending(self) -> int:
        """How many submitted entries are not yet appended."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Append every submitted entry in one transaction; how many it appended.

        Raises what the store raises; the entries it could not append stay queued, ahead of
        any submitted meanwhile, for the next flush.
        """
        with self._writing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                self._log.record(batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise
            return len(batch)

    def start(self) -> None:
        """Start appending every ``interval`` seconds on a background thread."""
        if self._flusher is not None:
            raise RuntimeError("the audit recorder is already started")
        self._flusher = Periodic(self._interval, self._flush_quietly, "audit-log")
        self._flusher.start()

    def stop(self) -> None:
        """Stop the thread (an append in progress finishes first), append the rest, and sign
        the head: after a clean shutdown no entry is left unsigned at the end of the log."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.stop()
        self._flush_quietly()
        try:
            self._log.checkpoint()
        except EntenteError as exc:
            _log.warning("the audit log's head was not signed at shutdown: %s", exc)

    def _flush_quietly(self) -> None:
        # A busy or unreachable database only delays the entries: they stay queued. Nothing
        # raises from here: neither the thread nor the server's shutdown may die of it.
        try:
            if self.flush() == 0:
                # Idle: index the object ids of what was appended (``store.sql_audit``).
                self._log.index()
        except EntenteError as exc:
            _log.warning("audit entries not appended yet (%d queued): %s", self.pending(), exc)
        except Exception:
            _log.exception("appending audit entries failed (%d queued)", self.pending())
