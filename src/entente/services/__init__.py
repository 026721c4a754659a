"""Use cases: orchestration of the core and the adapters, nothing else."""

from entente.services.ingest import IngestService, IngestSummary, Rejection
from entente.services.node import ensure_builtin_markings, node_stats
from entente.services.tokens import (
    ROLES,
    authenticate,
    create_token,
    hash_secret,
    list_tokens,
    org_identity_id,
    revoke_token,
)

__all__ = [
    "ROLES",
    "IngestService",
    "IngestSummary",
    "Rejection",
    "authenticate",
    "create_token",
    "ensure_builtin_markings",
    "hash_secret",
    "list_tokens",
    "node_stats",
    "org_identity_id",
    "revoke_token",
]
