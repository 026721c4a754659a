"""SQLAlchemy Core tables of the object store (the migrations create exactly these)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "agreements",
    "api_tokens",
    "audit_checkpoints",
    "audit_entries",
    "audit_indexed",
    "audit_objects",
    "dashboard_cells",
    "dashboard_counts",
    "dashboard_hit_totals",
    "dashboard_hits",
    "match_runs",
    "metadata",
    "node_state",
    "object_corrections",
    "object_markings",
    "object_signatures",
    "object_versions",
    "partners",
    "search_state",
    "search_values",
    "search_values_recent",
    "sync_checkpoints",
    "sync_reports",
    "taxii_status",
    "ui_sessions",
    "users",
]

# Named constraints so that migrations (and SQLite batch mode) can refer to them by name.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# On SQLite only ``INTEGER PRIMARY KEY`` aliases the rowid (one B-tree instead of two);
# the values are still 64-bit there.
DateAddedType = BigInteger().with_variant(Integer(), "sqlite")

object_versions = Table(
    "object_versions",
    metadata,
    # TAXII 2.1 §3.2 date_added: unique and strictly increasing per node, so it is both the
    # identity of a stored version and the stable paging key.
    Column("date_added_us", DateAddedType, primary_key=True, autoincrement=False),
    Column("id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("spec_version", Text, nullable=False),
    # The version key: canonical ``modified`` (``created`` for marking-definitions), "" for
    # SCOs (STIX 2.1 §3.6); nine fraction digits so that text order is instant order.
    Column("version", Text, nullable=False),
    Column("created", Text, nullable=True),
    Column("modified", Text, nullable=True),
    Column("created_by_ref", Text, nullable=True),
    Column("revoked", Boolean, nullable=False),
    # Maintained on insert so that TAXII 2.1 §3.4.3 match[version]=first|last is an indexed
    # lookup rather than a window function over every version.
    Column("is_first", Boolean, nullable=False),
    Column("is_last", Boolean, nullable=False),
    # The object exactly as received: text, not jsonb, which would reorder keys.
    Column("raw_json", Text, nullable=False),
    Column("source_kind", Text, nullable=False),
    Column("source_name", Text, nullable=False),
    Column("principal", Text, nullable=False),
    Column("agreement", Text, nullable=True),
    # object_marking_refs in their order (a JSON array), so reads need no join.
    Column("marking_refs", Text, nullable=False),
    # The org of the principal that stored it (a token's org, the sending partner's org);
    # NULL for this node's own operator (CLI, feeds, matching). Migration 0005.
    Column("principal_org", Text, nullable=True),
    # STIX 2.1 §7.2.3 granular markings naming a marking-definition, as a JSON array of
    # [marking_ref, [selectors]]; NULL when none, so most reads need not decode the object.
    Column("granular_markings", Text, nullable=True),
    # Its index (led by id) also serves lookups by id alone, and the (type, is_last,
    # date_added_us) index serves lookups by type: no separate indexes for either, as every
    # index costs each insert a B-tree write (bench/ingest.py).
    UniqueConstraint("id", "version"),
    Index(None, "modified"),
    Index(None, "created_by_ref"),
    Index(None, "is_last", "date_added_us"),
    Index(None, "type", "is_last", "date_added_us"),
)

# What a creator's correction replaced (STIX 2.1 §3.6 broken by the publisher itself, see
# stix.versioning): the replaced row exactly as it was served, with its provenance, kept as
# history; the replacement is an ordinary row of object_versions with a new date_added, so
# that TAXII clients polling by added_after receive it. Migration 0006.
object_corrections = Table(
    "object_corrections",
    metadata,
    # The replaced row's date_added: unique, as each stored row is replaced at most once.
    Column("date_added_us", BigInteger, primary_key=True, autoincrement=False),
    Column("id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("spec_version", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("created", Text, nullable=True),
    Column("modified", Text, nullable=True),
    Column("created_by_ref", Text, nullable=True),
    Column("revoked", Boolean, nullable=False),
    Column("raw_json", Text, nullable=False),
    Column("source_kind", Text, nullable=False),
    Column("source_name", Text, nullable=False),
    Column("principal", Text, nullable=False),
    Column("agreement", Text, nullable=True),
    Column("marking_refs", Text, nullable=False),
    Column("principal_org", Text, nullable=True),
    Column("granular_markings", Text, nullable=True),
    # When it was replaced, and the date_added of the row that replaced it (NULL when the
    # object was withdrawn: a snapshot of its source no longer held it).
    Column("replaced_us", BigInteger, nullable=False),
    Column("replaced_by_us", BigInteger, nullable=True),
    # Which §3.6 rule the correction broke (stix.versioning.Correction), or "withdrawn".
    Column("correction", Text, nullable=False),
    Index(None, "id", "date_added_us"),
)

# Which versions carry a marking: the index for "objects marked X" (architecture §2). Keyed
# by the marking first and clustered (WITHOUT ROWID on SQLite), it is one B-tree per row.
object_markings = Table(
    "object_markings",
    metadata,
    Column("marking_ref", Text, nullable=False),
    Column("date_added_us", DateAddedType, nullable=False),
    PrimaryKeyConstraint("marking_ref", "date_added_us"),
    sqlite_with_rowid=False,
)

node_state = Table(
    "node_state",
    metadata,
    # A single row (id = 1): the last date_added handed out, so that date_added keeps
    # increasing across restarts even when the wall clock goes backwards.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_date_added_us", BigInteger, nullable=False),
)

# API tokens (architecture §2: principals of an org holding a role). Only the SHA-256 of the
# secret is kept. The secret is 256 random bits, so a fast hash is right: slow, salted
# password hashes (Argon2id, bcrypt; OWASP Password Storage Cheat Sheet) exist to slow the
# guessing of low-entropy, user-chosen passwords, and would only add latency to each request.
api_tokens = Table(
    "api_tokens",
    metadata,
    # A short public id ("tok_" + 12 hex) that also appears inside the secret.
    Column("token_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    # The org's STIX identity id, and its name as given.
    Column("org", Text, nullable=False),
    Column("org_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    # Lowercase hex SHA-256 of the whole secret string.
    Column("secret_hash", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=True),
    Column("revoked_us", BigInteger, nullable=True),
    Column("last_used_us", BigInteger, nullable=True),
)

# TAXII 2.1 §4.3 status resources of add-objects requests, kept for at least 24 hours
# (§4.3.1 is silent on how long; clients poll shortly after a POST).
taxii_status = Table(
    "taxii_status",
    metadata,
    Column("status_id", Text, primary_key=True),
    Column("collection_id", Text, nullable=False),
    # The token id that made the request: only it may read the status.
    Column("principal", Text, nullable=False),
    Column("request_us", BigInteger, nullable=False),
    # A JSON array of [id, version, outcome, message] per object.
    Column("entries", Text, nullable=False),
    Index(None, "request_us"),
)

ReportIdType = BigInteger().with_variant(Integer(), "sqlite")

# Federation partners: the nodes this node pulls from (migration 0004).
partners = Table(
    "partners",
    metadata,
    # The local handle, [A-Za-z0-9._-]{1,64} (federation_port.is_partner_name).
    Column("name", Text, primary_key=True),
    # The partner org's STIX identity id: one partner per org.
    Column("org_id", Text, nullable=False, unique=True),
    Column("org_name", Text, nullable=False),
    # "ed25519:<base64url>"
    Column("public_key", Text, nullable=False),
    Column("api_root", Text, nullable=False),
    # The bearer secret this node presents to the partner. Kept as given, unlike
    # api_tokens.secret_hash: a hash cannot be presented.
    Column("token", Text, nullable=False),
    Column("added_us", BigInteger, nullable=False),
    Column("last_sync_us", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("objects_received", BigInteger, nullable=False),
)

# Sharing agreements, each as canonical JSON text (not jsonb, which would reorder keys).
agreements = Table(
    "agreements",
    metadata,
    Column("id", Text, primary_key=True),
    Column("document", Text, nullable=False),
    Column("added_us", BigInteger, nullable=False),
)

# How far the sync of each partner collection got; gone with its partner.
sync_checkpoints = Table(
    "sync_checkpoints",
    metadata,
    Column("partner", Text, ForeignKey("partners.name", ondelete="CASCADE"), nullable=False),
    Column("collection_id", Text, nullable=False),
    # TAXII 2.1 §3.4.2 timestamp text of the last date_added fully applied.
    Column("added_after", Text, nullable=True),
    # The partner's TAXII 2.1 §3.4.1 ``next`` of a page not yet applied.
    Column("next_cursor", Text, nullable=True),
    Column("updated_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("partner", "collection_id"),
)

# This node's signatures of its own versions, made once and served to every partner
# (ADR 0025). No foreign key: versions are never deleted while their signatures matter, and
# a signature kept for other content is ignored (``content_sha256``).
object_signatures = Table(
    "object_signatures",
    metadata,
    Column("id", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("content_sha256", Text, nullable=False),
    Column("extension", Text, nullable=False),
    PrimaryKeyConstraint("id", "version"),
)

# The log of sync runs. No foreign key: the history outlives a removed partner.
sync_reports = Table(
    "sync_reports",
    metadata,
    # Assigned by the database in insertion order; INTEGER PRIMARY KEY on SQLite (the rowid,
    # the only column SQLite numbers itself), BIGSERIAL on PostgreSQL.
    Column("report_id", ReportIdType, primary_key=True, autoincrement=True),
    Column("partner", Text, nullable=False),
    Column("started_us", BigInteger, nullable=False),
    Column("finished_us", BigInteger, nullable=False),
    Column("added", BigInteger, nullable=False),
    Column("duplicates", BigInteger, nullable=False),
    Column("new_versions", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("error", Text, nullable=True),
    # A JSON array of {"id", "reason"} objects.
    Column("rejections", Text, nullable=False),
    # Versions stored as their creators' corrections, and a JSON array of {"id", "reason"}:
    # different contents signed for one (id, modified) (migration 0006).
    Column("corrected", BigInteger, nullable=False, server_default="0"),
    Column("equivocations", Text, nullable=False, server_default="[]"),
    Index(None, "partner", "report_id"),
)

# Migration 0012: the reports of recent matching runs (``entente match``, ``entente hunt``),
# kept bounded (``services.match_runs``) and pruned to the newest runs on every write.
match_runs = Table(
    "match_runs",
    metadata,
    # Assigned by the database in insertion order, as ``sync_reports.report_id``.
    Column("run_id", ReportIdType, primary_key=True, autoincrement=True),
    # "match" or "hunt".
    Column("kind", Text, nullable=False),
    Column("started_us", BigInteger, nullable=False),
    Column("finished_us", BigInteger, nullable=False),
    # The bounded report, one JSON object.
    Column("report", Text, nullable=False),
)

# Migration 0007: the search indexes, written in the insert transaction (store.sql_search).
# Keys compare bytewise (PostgreSQL's default collation would ignore the '/' and '.' that make
# containment a range; store.search_values explains the keys).
SearchKeyType = Text().with_variant(Text(collation="C"), "postgresql")

# The value index: one row per value occurrence in a stored version (O(occurrences), never
# pairs of versions). Clustered by (kind, key), so a lookup or a range is one B-tree walk.
search_values = Table(
    "search_values",
    metadata,
    Column("kind", Text, nullable=False),
    Column("key", SearchKeyType, nullable=False),
    Column("date_added_us", DateAddedType, nullable=False),
    # Deleting a version's entries works their keys out from its JSON (no index by
    # version: migration 0008).
    PrimaryKeyConstraint("kind", "key", "date_added_us"),
    sqlite_with_rowid=False,
)

# The value index's newest rows, in the same form (migration 0008). Ingest writes here: a
# tree small enough to stay in the page cache takes random keys cheaply, and once it holds
# ``store.search_index.MERGE_ROWS`` rows they move into ``search_values`` in key order, which
# touches each page of the large tree once instead of once per row. Reads look in both.
search_values_recent = Table(
    "search_values_recent",
    metadata,
    Column("kind", Text, nullable=False),
    Column("key", SearchKeyType, nullable=False),
    Column("date_added_us", DateAddedType, nullable=False),
    PrimaryKeyConstraint("kind", "key", "date_added_us"),
    sqlite_with_rowid=False,
)

# One row (id = 1): how many rows ``search_values_recent`` holds, kept with each write so
# that deciding to merge costs no count.
search_state = Table(
    "search_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("recent_rows", BigInteger, nullable=False),
)

# Migration 0009: local user accounts of the web UI (issue 13; ADR 0009).
users = Table(
    "users",
    metadata,
    # "usr_" + 12 hex: stable, never reused, what sessions point at.
    Column("user_id", Text, primary_key=True),
    # As typed at creation; ``username_key`` (lowercase: usernames are ASCII,
    # accounts.credentials) makes ``Alice`` and ``alice`` one account.
    Column("username", Text, nullable=False),
    Column("username_key", Text, nullable=False, unique=True),
    # The org's STIX identity id and its name, as api_tokens have them.
    Column("org", Text, nullable=False),
    Column("org_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    # Argon2id PHC string (accounts.passwords).
    Column("password_hash", Text, nullable=False),
    # The TOTP key sealed with AES-256-GCM-SIV (accounts.sealing), never in clear.
    Column("totp_sealed", LargeBinary, nullable=False),
    # The last RFC 6238 time step accepted: a code of that step or an earlier one is refused.
    Column("totp_last_step", BigInteger, nullable=True),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until_us", BigInteger, nullable=True),
    Column("disabled", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("last_login_us", BigInteger, nullable=True),
)

# Signed-in web sessions, server-side: the cookie holds a random token, this table its
# SHA-256 (accounts.sessions). Gone with their user.
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("session_hash", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("last_seen_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Index(None, "user_id"),
)

# Migration 0010: the dashboard's counters, written in the insert transaction
# (store.dashboard_index). A cell is one combination of what the sharing policy reads of a
# version (type, creator, markings, provenance) and so what decides who may count it; its key
# is a hash of those facts, which may be longer than a B-tree key may be.
dashboard_cells = Table(
    "dashboard_cells",
    metadata,
    Column("cell", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("created_by_ref", Text, nullable=True),
    Column("marking_refs", Text, nullable=False),
    Column("granular_markings", Text, nullable=True),
    Column("source_kind", Text, nullable=False),
    Column("source_name", Text, nullable=False),
    Column("principal", Text, nullable=False),
    Column("agreement", Text, nullable=True),
    Column("principal_org", Text, nullable=True),
)

# Objects per cell and month (YYYY-MM, UTC, of the date_added of each object's latest
# version): one count per object, kept by its latest version as TAXII 2.1 §3.4.3 serves it.
dashboard_counts = Table(
    "dashboard_counts",
    metadata,
    Column("cell", Text, nullable=False),
    Column("month", Text, nullable=False),
    Column("objects", BigInteger, nullable=False),
    PrimaryKeyConstraint("cell", "month"),
    sqlite_with_rowid=False,
)

# Per object a sighting's latest version is ``sighting_of_ref`` of (STIX 2.1 §5.7) and per
# cell of those sightings: how many sightings, and the sum of their ``count``.
dashboard_hits = Table(
    "dashboard_hits",
    metadata,
    Column("target_ref", Text, nullable=False),
    Column("cell", Text, nullable=False),
    Column("sightings", BigInteger, nullable=False),
    Column("hits", BigInteger, nullable=False),
    PrimaryKeyConstraint("target_ref", "cell"),
    sqlite_with_rowid=False,
)

# The same per sighted object over every cell, in descending order of hits: the dashboard
# walks it from the top and stops once no object further down can reach its top list
# (services.dashboard, a threshold algorithm), instead of summing every row of
# dashboard_hits per request.
dashboard_hit_totals = Table(
    "dashboard_hit_totals",
    metadata,
    Column("target_ref", Text, primary_key=True),
    Column("sightings", BigInteger, nullable=False),
    Column("hits", BigInteger, nullable=False),
    Index(None, "hits", "target_ref"),
)

# Migration 0013: the audit log and the custody logs, append-only hash chains (entente.audit).
# An entry's body is its canonical JSON, exactly the bytes its hash covers; the other columns
# repeat what queries filter on.
AuditSeqType = BigInteger().with_variant(Integer(), "sqlite")

audit_entries = Table(
    "audit_entries",
    metadata,
    # "node" or "case:<case id>".
    Column("chain", Text, nullable=False),
    Column("seq", AuditSeqType, nullable=False, autoincrement=False),
    Column("time_us", BigInteger, nullable=False),
    Column("actor_org", Text, nullable=False),
    # The SHA-256 of body, lowercase hex.
    Column("hash", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    PrimaryKeyConstraint("chain", "seq", name="pk_audit_entries"),
    Index("ix_audit_entries_org_time", "chain", "actor_org", "time_us"),
    Index("ix_audit_entries_time", "chain", "time_us"),
)

# The object ids each entry lists, for "who saw this object?": an index derived from the
# bodies, filled behind the appends (store.sql_audit) up to audit_indexed.seq of each chain.
audit_objects = Table(
    "audit_objects",
    metadata,
    Column("object_id", Text, nullable=False),
    Column("chain", Text, nullable=False),
    Column("seq", AuditSeqType, nullable=False, autoincrement=False),
    PrimaryKeyConstraint("object_id", "chain", "seq", name="pk_audit_objects"),
    # The key is the whole row: one B-tree instead of a table and its index, which halves
    # the cost of the rows a page of 1,000 reads adds (bench/audit.py).
    sqlite_with_rowid=False,
)

audit_indexed = Table(
    "audit_indexed",
    metadata,
    Column("chain", Text, primary_key=True),
    # The last entry of the chain whose object ids are in audit_objects.
    Column("seq", AuditSeqType, nullable=False, autoincrement=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("chain", Text, nullable=False),
    Column("seq", AuditSeqType, nullable=False, autoincrement=False),
    Column("head", Text, nullable=False),
    Column("time_us", BigInteger, nullable=False),
    # The signer's public key, ``ed25519:<base64url>``, and the signature in base64url.
    Column("key", Text, nullable=False),
    Column("signature", Text, nullable=False),
    PrimaryKeyConstraint("chain", "seq", name="pk_audit_checkpoints"),
)
