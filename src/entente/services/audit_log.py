"""The node-wide audit log and the per-case custody logs: record, checkpoint, verify, query.

Issue 14, item 3. Every entry goes into a hash chain (``entente.audit``) in the store; the
node's Ed25519 key signs a checkpoint every ``every`` entries of the audit log and after every
entry of a custody log. An append returns once the store committed it: a request whose reads
were acknowledged has its entry (``server.audit`` writes it before the response ends).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from entente.audit import (
    NODE_CHAIN,
    Appended,
    ChainHead,
    Checkpoint,
    Entry,
    EntryDraft,
    Signer,
    Verdict,
    Verifier,
    case_chain,
    extend,
    parse_entry,
    verify_chain,
)
from entente.clock import Clock
from entente.services.audit_reads import ReadNotes
from entente.store import AuditQuery, AuditStore

__all__ = ["CHECKPOINT_EVERY", "INDEX_BATCH", "AuditLog"]

# Entries of the node's audit log between two signed checkpoints: an Ed25519 signature costs
# ~50 µs, so signing each request's entry would be cheap too, but a checkpoint row per entry
# doubles the writes; entries after the last checkpoint are linked, though not yet signed.
CHECKPOINT_EVERY: Final = 256
# Entries whose object ids are indexed per step when the recorder is idle (a few ms each).
INDEX_BATCH: Final = 200


class AuditLog:
    """Appends to, and checks, this node's audit and custody chains."""

    __slots__ = ("_clock", "_every", "_keys", "_signer", "_store")

    def __init__(
        self,
        store: AuditStore,
        signer: Signer,
        clock: Clock,
        *,
        trusted: Mapping[str, Verifier],
        every: int = CHECKPOINT_EVERY,
    ) -> None:
        if every < 1:
            raise ValueError(f"a checkpoint every {every} entries cannot work")
        self._store = store
        self._signer = signer
        self._clock = clock
        self._keys = dict(trusted)
        self._every = every

    def _append(
        self, chain: str, drafts: Sequence[EntryDraft], every: int, *, force: bool = False
    ) -> Appended:
        time_us = self._clock.now_us()

        def build(head: ChainHead) -> Appended:
            return extend(
                head,
                drafts,
                time_us=time_us,
                signer=self._signer,
                every=every,
                force_checkpoint=force,
            )

        return self._store.append(chain, build)

    def record(self, drafts: Sequence[EntryDraft]) -> tuple[Entry, ...]:
        """Append ``drafts`` to the node's audit log in one transaction; the entries made."""
        if not drafts:
            return ()
        return self._append(NODE_CHAIN, drafts, self._every).entries

    def record_notes(self, notes: ReadNotes) -> tuple[Entry, ...]:
        """Append one request's reads and actions (nothing when it noted none)."""
        return self.record(notes.drafts())

    def record_custody(self, case_id: str, drafts: Sequence[EntryDraft]) -> tuple[Entry, ...]:
        """Append to the custody log of ``case_id``; each entry is signed by a checkpoint."""
        if not drafts:
            return ()
        return self._append(case_chain(case_id), drafts, 1).entries

    def custody_entries(self, case_id: str) -> tuple[Entry, ...]:
        """Every entry of the custody log of ``case_id``, in order (for evidence packages)."""
        return tuple(parse_entry(r.body) for r in self._store.entries(case_chain(case_id)))

    def latest_checkpoint(self, chain: str = NODE_CHAIN) -> Checkpoint | None:
        """The last checkpoint stored for ``chain`` (None: never signed); ``verify`` checks it."""
        checkpoints = self._store.checkpoints(chain)
        return checkpoints[-1] if checkpoints else None

    def checkpoint(self, chain: str = NODE_CHAIN) -> Checkpoint | None:
        """Sign the head of ``chain`` now; None when it is empty or already signed there."""
        return self._append(chain, (), self._every, force=True).checkpoint

    def index(self, chain: str = NODE_CHAIN, limit: int = INDEX_BATCH) -> int:
        """Bring the object index of ``chain`` up to ``limit`` entries closer; how many."""
        return self._store.index(chain, limit)

    def chains(self) -> Sequence[str]:
        """The chains that hold entries: the audit log and every case's custody log."""
        return self._store.chains()

    def verify(self, chain: str = NODE_CHAIN) -> Verdict:
        """Check every entry and checkpoint of ``chain`` against the trusted keys."""
        return verify_chain(
            chain, self._store.entries(chain), self._store.checkpoints(chain), self._keys
        )

    def who_saw(
        self,
        *,
        org: str | None = None,
        object_id: str | None = None,
        since_us: int | None = None,
        limit: int = 100,
        before_seq: int | None = None,
    ) -> Sequence[Entry]:
        """The newest audit entries by ``org``, naming ``object_id``, since ``since_us``
        (and numbered below ``before_seq``: the page after one that ended there)."""
        return self._store.find(AuditQuery(NODE_CHAIN, org, object_id, since_us, limit, before_seq))
