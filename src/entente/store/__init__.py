"""Storage of every STIX object version, tokens, users, statuses and federation state: the ports.

The SQL adapter is imported by module path (``entente.store.sql``), as every adapter.
"""

from entente.store.audit_port import AuditQuery, AuditStore
from entente.store.dashboard_port import CountCell, DashboardCounts, MonthCount, TargetHits
from entente.store.federation_port import (
    AgreementRecord,
    AgreementStore,
    Checkpoint,
    CheckpointStore,
    PartnerRecord,
    PartnerStore,
    SyncReport,
    SyncReportStore,
    is_partner_name,
)
from entente.store.port import ObjectStore, StoreTransaction
from entente.store.records import (
    NewVersion,
    ObjectQuery,
    Page,
    Provenance,
    ReplacedVersion,
    SourceKind,
    StoredVersion,
    StoreStats,
    VersionFilter,
)
from entente.store.run_port import RUN_KINDS, MatchRunRecord, MatchRunStore
from entente.store.search_port import Probe, SearchFilter, SearchIndex
from entente.store.signature_port import SignatureStore, StoredSignature
from entente.store.status_port import StatusEntry, StatusRecord, StatusStore
from entente.store.token_port import ApiToken, TokenStatus, TokenStore
from entente.store.user_port import SessionStore, UiSession, UserAccount, UserStore

__all__ = [
    "RUN_KINDS",
    "AgreementRecord",
    "AgreementStore",
    "ApiToken",
    "AuditQuery",
    "AuditStore",
    "Checkpoint",
    "CheckpointStore",
    "CountCell",
    "DashboardCounts",
    "MatchRunRecord",
    "MatchRunStore",
    "MonthCount",
    "NewVersion",
    "ObjectQuery",
    "ObjectStore",
    "Page",
    "PartnerRecord",
    "PartnerStore",
    "Probe",
    "Provenance",
    "ReplacedVersion",
    "SearchFilter",
    "SearchIndex",
    "SessionStore",
    "SignatureStore",
    "SourceKind",
    "StatusEntry",
    "StatusRecord",
    "StatusStore",
    "StoreStats",
    "StoreTransaction",
    "StoredSignature",
    "StoredVersion",
    "SyncReport",
    "SyncReportStore",
    "TargetHits",
    "TokenStatus",
    "TokenStore",
    "UiSession",
    "UserAccount",
    "UserStore",
    "VersionFilter",
    "is_partner_name",
]
