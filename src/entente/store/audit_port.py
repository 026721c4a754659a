"""The port of the audit log and the custody logs: append-only hash chains (issue 14, item 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from entente.audit import Appended, ChainHead, Checkpoint, Entry, EntryRecord

__all__ = ["AuditQuery", "AuditStore"]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries of one chain to find ("who saw this?"); None matches anything.

    ``before_seq`` continues a page that ended there: only entries numbered below it.
    """

    chain: str
    org: str | None = None
    object_id: str | None = None
    since_us: int | None = None
    limit: int = 100
    before_seq: int | None = None


class AuditStore(Protocol):
    """Chains of entries that only ever grow, with their signed checkpoints.

    ``append`` reads a chain's head and writes what ``build`` makes of it in one transaction,
    appends to one chain one at a time (so no two entries take the same place): once it
    returns, the entries are committed and will be there for ``entries`` and ``verify``.
    """

    def append(self, chain: str, build: Callable[[ChainHead], Appended]) -> Appended:
        """Write what ``build`` makes of the chain's current head, atomically; return it."""
        ...

    def head(self, chain: str) -> ChainHead:
        """Where ``chain`` stands (an empty chain's head is sequence 0 and the genesis hash)."""
        ...

    def entries(self, chain: str, *, page: int = 1000) -> Iterator[EntryRecord]:
        """Every stored entry of ``chain`` in sequence order, read ``page`` rows at a time."""
        ...

    def checkpoints(self, chain: str) -> Sequence[Checkpoint]:
        """The checkpoints of ``chain`` in sequence order."""
        ...

    def chains(self) -> Sequence[str]:
        """The names of every chain that holds an entry, sorted."""
        ...

    def find(self, query: AuditQuery) -> Sequence[Entry]:
        """The newest entries of ``query.chain`` matching it, newest first, up to its limit
        (the object index is brought up to date first)."""
        ...

    def index(self, chain: str, limit: int) -> int:
        """Add the object ids of up to ``limit`` more entries of ``chain`` to the object index;
        how many entries it indexed (0: the index is up to date).

        The index is derived from the entries' bodies and filled behind the appends, so that
        an append writes one row per request rather than one per object read.
        """
        ...
