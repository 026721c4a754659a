"""Use cases: orchestration of the core and the adapters, nothing else."""

from entente.services.ingest import IngestService, IngestSummary, LeftOutValue, Rejection
from entente.services.node import ensure_builtin_markings
from entente.services.taxii import (
    DEFAULT_COLLECTIONS,
    STATUS_RETENTION_US,
    CollectionDef,
    TaxiiService,
    collection_uuid,
    node_context,
    node_org_id,
    principal_of,
    version_facts,
)
from entente.services.token_uses import FLUSH_INTERVAL_S, TokenUseRecorder
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
    "DEFAULT_COLLECTIONS",
    "FLUSH_INTERVAL_S",
    "ROLES",
    "STATUS_RETENTION_US",
    "CollectionDef",
    "IngestService",
    "IngestSummary",
    "LeftOutValue",
    "Rejection",
    "TaxiiService",
    "TokenUseRecorder",
    "authenticate",
    "collection_uuid",
    "create_token",
    "ensure_builtin_markings",
    "hash_secret",
    "list_tokens",
    "node_context",
    "node_org_id",
    "org_identity_id",
    "principal_of",
    "revoke_token",
    "version_facts",
]
