"""Node-level use cases: initialise a node's store."""

from __future__ import annotations

from entente.clock import Clock
from entente.ingest import Candidate
from entente.services.ingest import IngestService, IngestSummary
from entente.stix import BUILTIN_MARKINGS
from entente.store import ObjectStore, Provenance, SourceKind

__all__ = ["ensure_builtin_markings"]

BUILTIN_SOURCE = "entente built-in TLP marking-definitions"


def ensure_builtin_markings(store: ObjectStore, clock: Clock) -> IngestSummary:
    """Store the nine TLP marking-definitions if they are missing (idempotent)."""
    candidates = [
        Candidate(source=BUILTIN_SOURCE, position=f"[{i}]", data=dict(m))
        for i, m in enumerate(BUILTIN_MARKINGS)
    ]
    service = IngestService(store, clock, principal="system")
    provenance = Provenance(SourceKind.BUILTIN, BUILTIN_SOURCE, "system")
    return service.ingest_candidates(candidates, provenance, source=BUILTIN_SOURCE)
