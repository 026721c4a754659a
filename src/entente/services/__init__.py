"""Use cases: orchestration of the core and the adapters, nothing else."""

from entente.services.ingest import IngestService, IngestSummary, Rejection
from entente.services.node import ensure_builtin_markings, node_stats

__all__ = ["IngestService", "IngestSummary", "Rejection", "ensure_builtin_markings", "node_stats"]
