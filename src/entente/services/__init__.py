"""Use cases: orchestration of the core and the adapters, nothing else.

The names below load on first use (PEP 562): importing one submodule, as the command line
does at start-up, does not load the whole package.
"""

from __future__ import annotations

import typing

from entente import lazy_exports

if typing.TYPE_CHECKING:
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

# Where each exported name is defined.
_HOMES = {
    "CollectionDef": "entente.services.collections",
    "DEFAULT_COLLECTIONS": "entente.services.collections",
    "FLUSH_INTERVAL_S": "entente.services.token_uses",
    "IngestService": "entente.services.ingest",
    "IngestSummary": "entente.services.ingest",
    "LeftOutValue": "entente.services.ingest",
    "ROLES": "entente.services.tokens",
    "Rejection": "entente.services.ingest",
    "STATUS_RETENTION_US": "entente.services.taxii",
    "TaxiiService": "entente.services.taxii",
    "TokenUseRecorder": "entente.services.token_uses",
    "authenticate": "entente.services.tokens",
    "collection_uuid": "entente.services.collections",
    "create_token": "entente.services.tokens",
    "ensure_builtin_markings": "entente.services.node",
    "hash_secret": "entente.services.tokens",
    "list_tokens": "entente.services.tokens",
    "node_context": "entente.services.taxii",
    "node_org_id": "entente.services.taxii",
    "org_identity_id": "entente.services.tokens",
    "principal_of": "entente.services.taxii",
    "revoke_token": "entente.services.tokens",
    "version_facts": "entente.services.taxii",
}


__getattr__ = lazy_exports.lazy_getattr(__name__, _HOMES, globals())
