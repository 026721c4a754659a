"""Storage of every STIX object version: the ObjectStore port, its records, the SQL adapter."""

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
from entente.store.sql import SqlStore, SqlTransaction, open_store
from entente.store.urls import redact_url

__all__ = [
    "NewVersion",
    "ObjectQuery",
    "ObjectStore",
    "Page",
    "Provenance",
    "SourceKind",
    "SqlStore",
    "SqlTransaction",
    "StoreStats",
    "StoreTransaction",
    "StoredVersion",
    "VersionFilter",
    "open_store",
    "redact_url",
]
