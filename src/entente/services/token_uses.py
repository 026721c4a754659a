"""Token last use, recorded off the request path: noted in memory, written in batches.

Authentication must not write (issue 11 §5): on SQLite a write waits for the database's one
write lock, which ``entente ingest`` holds for a whole document, so a request that recorded
its token's use there would wait (up to the 30 s busy timeout) and then fail. Requests only
``note`` the use; a background thread writes the latest instant per token every
``FLUSH_INTERVAL_S`` seconds in one transaction, and a write that fails (the lock is still
held, the database is away) is kept for the next try.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from entente.errors import EntenteError
from entente.services.periodic import Periodic
from entente.store import TokenStore

__all__ = ["FLUSH_INTERVAL_S", "TokenUseRecorder"]

FLUSH_INTERVAL_S = 5.0
"""Seconds between the writes of noted uses: ``entente token list`` is at most this late."""

_log = logging.getLogger(__name__)


class TokenUseRecorder:
    """Keeps the latest use of each token in memory and writes them to ``tokens`` in batches.

    ``note`` is cheap and never raises; ``flush`` writes what was noted; ``start`` runs a
    thread that flushes every ``interval`` seconds until ``stop``, which flushes once more.
    Memory is one entry per token that authenticated since the last successful flush.
    """

    def __init__(self, tokens: TokenStore, *, interval: float = FLUSH_INTERVAL_S) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._tokens = tokens
        self._interval = interval
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._flusher: Periodic | None = None

    def note(self, token_id: str, at_us: int) -> None:
        """Remember that ``token_id`` was used at ``at_us`` (only the latest instant is kept)."""
        with self._lock:
            if self._pending.get(token_id, -1) < at_us:
                self._pending[token_id] = at_us

    def pending(self) -> Mapping[str, int]:
        """A copy of the uses noted and not yet written: token id -> microseconds."""
        with self._lock:
            return dict(self._pending)

    def flush(self) -> int:
        """Write every noted use in one transaction; returns how many tokens it recorded.

        Raises what the store raises (``StorageError``); the uses it could not write are kept,
        merged with any noted meanwhile, for the next flush.
        """
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        try:
            self._tokens.record_uses(batch)
        except BaseException:
            with self._lock:
                for token_id, at_us in batch.items():
                    if self._pending.get(token_id, -1) < at_us:
                        self._pending[token_id] = at_us
            raise
        return len(batch)

    def start(self) -> None:
        """Start flushing every ``interval`` seconds on a background thread."""
        if self._flusher is not None:
            raise RuntimeError("the token use recorder is already started")
        self._flusher = Periodic(self._interval, self._flush_quietly, "token-uses")
        self._flusher.start()

    def stop(self) -> None:
        """Stop the thread (a write in progress finishes first), then flush once more."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.stop()
        self._flush_quietly()

    def _flush_quietly(self) -> None:
        # A busy or unreachable database only delays the record: the uses stay pending. Nothing
        # raises from here: neither the thread nor the server's shutdown may die of it.
        try:
            self.flush()
        except EntenteError as exc:
            _log.warning("token use not recorded yet (%d pending): %s", len(self.pending()), exc)
        except Exception:
            _log.exception("recording token use failed (%d pending)", len(self.pending()))
