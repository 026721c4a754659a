"""Creator corrections in SQL: move a replaced version to history, read that history.

A correction (``stix.versioning.Correction.CONTENT``) puts other content under an (id,
version key) already stored. The replaced row leaves ``object_versions`` for
``object_corrections`` with its provenance, and the replacement is inserted as an ordinary
row with a new ``date_added``, so that TAXII clients polling with ``added_after`` (TAXII 2.1
§3.4.2) receive the corrected content. Both steps run in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from entente.errors import StorageError
from entente.store.dashboard_index import apply_counts, last_rows_of
from entente.store.records import Provenance, ReplacedVersion, SourceKind, StoredVersion
from entente.store.schema import object_corrections, object_markings, object_versions
from entente.store.search_index import delete_index

__all__ = [
    "WITHDRAWN",
    "ReplacedRow",
    "histories_of",
    "history_of",
    "latest_from_source",
    "record_replaced",
    "remove_replaced",
    "withdraw",
]

# The ``correction`` of history rows a snapshot withdrew.
WITHDRAWN = "withdrawn"

_V = object_versions.c
_M = object_markings.c
_C = object_corrections.c

# Per IN list, as in store.sql.
_CHUNK = 500

_COPIED = (
    "date_added_us", "id", "type", "spec_version", "version", "created", "modified",
    "created_by_ref", "revoked", "raw_json", "source_kind", "source_name", "principal",
    "agreement", "marking_refs", "principal_org", "granular_markings",
)  # fmt: skip

# Sets both flags of every row of one id from the first and last date_added it keeps.
_SET_FLAGS = (
    update(object_versions)
    .where(_V.id == bindparam("oid"))
    .values(
        is_first=_V.date_added_us == bindparam("first_us"),
        is_last=_V.date_added_us == bindparam("last_us"),
    )
)

ReplacedRow = dict[str, Any]


def remove_replaced(conn: Connection, keys: Sequence[tuple[str, str]]) -> list[ReplacedRow]:
    """Delete the stored rows with these (id, version) keys; return them as they were.

    Their marking-index rows go with them, and the first/last flags of the versions each id
    keeps are set again, so that the insert of the replacements finds them right.
    """
    wanted = set(keys)
    ids = list(dict.fromkeys(oid for oid, _ in keys))
    columns = [getattr(_V, name) for name in _COPIED]
    rows: list[ReplacedRow] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for row in conn.execute(select(*columns).where(_V.id.in_(chunk))):
            record = dict(zip(_COPIED, row, strict=True))
            if (record["id"], record["version"]) in wanted:
                rows.append(record)
    if len(rows) != len(wanted):
        found = {(r["id"], r["version"]) for r in rows}
        missing = sorted(wanted - found)
        raise StorageError(f"cannot correct versions that are not stored: {missing[:5]}")
    marking_keys = [
        {"r": ref, "d": row["date_added_us"]}
        for row in rows
        for ref in dict.fromkeys(orjson.loads(row["marking_refs"]))
    ]
    if marking_keys:
        conn.execute(
            delete(object_markings).where(
                _M.marking_ref == bindparam("r"), _M.date_added_us == bindparam("d")
            ),
            marking_keys,
        )
    gone = [row["date_added_us"] for row in rows]
    # The search index follows the rows: history is not searched.
    delete_index(conn, gone)
    # Nor counted: the dashboard counters drop these objects' latest versions here and
    # count the ones that are latest once the rows are gone (store.dashboard_index).
    counted = last_rows_of(conn, ids)
    for start in range(0, len(gone), _CHUNK):
        conn.execute(
            delete(object_versions).where(_V.date_added_us.in_(gone[start : start + _CHUNK]))
        )
    bounds: dict[str, tuple[tuple[str, int], tuple[str, int]]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for oid, version, added in conn.execute(
            select(_V.id, _V.version, _V.date_added_us).where(_V.id.in_(chunk))
        ):
            entry = (version, added)
            held = bounds.get(oid)
            if held is None:
                bounds[oid] = (entry, entry)
            else:
                bounds[oid] = (min(held[0], entry), max(held[1], entry))
    if bounds:
        conn.execute(
            _SET_FLAGS,
            [
                {"oid": oid, "first_us": first[1], "last_us": last[1]}
                for oid, (first, last) in bounds.items()
            ],
        )
    apply_counts(conn, last_rows_of(conn, list(bounds)), counted)
    return rows


def record_replaced(
    conn: Connection,
    rows: Sequence[ReplacedRow],
    replacements: Sequence[StoredVersion],
    corrections: Sequence[str],
    replaced_us: int,
) -> None:
    """Write the removed rows to history, each with the row that replaced it."""
    by_key = {(new.id, new.version): new.date_added_us for new in replacements}
    kinds = {
        (new.id, new.version): kind for new, kind in zip(replacements, corrections, strict=True)
    }
    conn.execute(
        insert(object_corrections),
        [
            {
                **row,
                "replaced_us": replaced_us,
                "replaced_by_us": by_key[(row["id"], row["version"])],
                "correction": kinds[(row["id"], row["version"])],
            }
            for row in rows
        ],
    )


def latest_from_source(conn: Connection, source_name: str) -> list[str]:
    """The ids whose latest version came from ``source_name`` (provenance), by id."""
    rows = conn.execute(
        select(_V.id).where(_V.is_last.is_(True), _V.source_name == source_name).order_by(_V.id)
    )
    return [row[0] for row in rows]


def withdraw(conn: Connection, ids: Sequence[str], withdrawn_us: int) -> int:
    """Move every version of these objects to history as withdrawn; return how many."""
    keys: list[tuple[str, str]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        keys.extend(
            (oid, version)
            for oid, version in conn.execute(select(_V.id, _V.version).where(_V.id.in_(chunk)))
        )
    if not keys:
        return 0
    rows = remove_replaced(conn, keys)
    conn.execute(
        insert(object_corrections),
        [
            {**row, "replaced_us": withdrawn_us, "replaced_by_us": None, "correction": WITHDRAWN}
            for row in rows
        ],
    )
    return len(rows)


def history_of(conn: Connection, object_id: str) -> list[ReplacedVersion]:
    """The replaced versions of one object, oldest replaced first."""
    return histories_of(conn, [object_id]).get(object_id, [])


def histories_of(conn: Connection, ids: Sequence[str]) -> dict[str, list[ReplacedVersion]]:
    """The replaced versions of each of ``ids`` that has any, oldest first."""
    columns = [getattr(_C, name) for name in _COPIED]
    rows: list[Any] = []
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        rows.extend(
            conn.execute(
                select(*columns, _C.replaced_us, _C.replaced_by_us, _C.correction)
                .where(_C.id.in_(unique[start : start + _CHUNK]))
                .order_by(_C.date_added_us)
            ).all()
        )
    out: dict[str, list[ReplacedVersion]] = {}
    for row in rows:
        record = dict(zip(_COPIED, row[: len(_COPIED)], strict=True))
        granular = record["granular_markings"]
        version = StoredVersion(
            id=record["id"],
            type=record["type"],
            spec_version=record["spec_version"],
            version=record["version"],
            created=record["created"],
            modified=record["modified"],
            created_by_ref=record["created_by_ref"],
            revoked=bool(record["revoked"]),
            marking_refs=tuple(orjson.loads(record["marking_refs"])),
            raw_json=record["raw_json"].encode("utf-8"),
            date_added_us=record["date_added_us"],
            provenance=Provenance(
                source_kind=SourceKind(record["source_kind"]),
                source_name=record["source_name"],
                principal=record["principal"],
                agreement=record["agreement"],
                org=record["principal_org"],
            ),
            granular_markings=()
            if granular is None
            else tuple((str(r), tuple(s)) for r, s in orjson.loads(granular)),
        )
        out.setdefault(version.id, []).append(
            ReplacedVersion(
                version=version,
                replaced_us=row[len(_COPIED)],
                replaced_by_us=row[len(_COPIED) + 1],
                correction=row[len(_COPIED) + 2],
            )
        )
    return out
