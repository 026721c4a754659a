"""Storage of every STIX object version: the ObjectStore port and its records.

The SQL adapter is imported by module path (``entente.store.sql``), as every adapter.
"""

from entente.store.port import ObjectStore, StoreTransaction
from entente.store.records import (
    NewVersion,
    ObjectQuery,
    Page,
    Provenance,
    SourceKind,
    StoredVersion,
    StoreStats,
    VersionFilter,
)
from entente.store.status_port import StatusEntry, StatusRecord, StatusStore
from entente.store.token_port import ApiToken, TokenStatus, TokenStore

__all__ = [
    "ApiToken",
    "NewVersion",
    "ObjectQuery",
    "ObjectStore",
    "Page",
    "Provenance",
    "SourceKind",
    "StatusEntry",
    "StatusRecord",
    "StatusStore",
    "StoreStats",
    "StoreTransaction",
    "StoredVersion",
    "TokenStatus",
    "TokenStore",
    "VersionFilter",
]
