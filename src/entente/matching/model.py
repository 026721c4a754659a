"""The records that cross the matching package's seams: log batches, indicator sets and hits.

Log sources (``sources``) turn files into ``LogBatch``es; ``patterns`` turns STIX indicators into
an ``IndicatorSet``; the engine (``engine``) and its naive twin (``reference``) turn both into
``Hit``s, which ``sightings`` aggregates. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "RECORD_COLUMNS",
    "CompiledIndicator",
    "FieldSpec",
    "Hit",
    "IndicatorSet",
    "LogBatch",
    "Malformed",
    "NotDeployable",
    "Term",
    "TermOp",
    "ValueKind",
    "context_of",
]


class ValueKind(enum.StrEnum):
    """What a log field or an indicator term holds (the typed sets of the matcher)."""

    IP = "ip"  # an IPv4 or IPv6 address
    DOMAIN = "domain"  # a DNS name
    HOST = "host"  # an address or a DNS name (DNS answers, HTTP Host headers)
    URL = "url"  # an absolute URL
    EMAIL = "email"  # an email address, possibly as "Name <addr>"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    JA3 = "ja3"
    JA3S = "ja3s"
    JA4 = "ja4"


class TermOp(enum.StrEnum):
    """How a term's value is compared with a log value of its kind."""

    EQUALS = "equals"  # normalised values are equal
    IN_NETWORK = "in_network"  # an address inside a CIDR block (STIX §9.5 ISSUBSET)
    SUBDOMAIN = "subdomain"  # a strict subdomain of the term's domain (LIKE '%.evil.com')


@dataclass(frozen=True, slots=True)
class Term:
    """One comparison an indicator matches on; the indicator matches if any term does.

    ``kind`` is one of IP, DOMAIN, URL, EMAIL, MD5, SHA1, SHA256, JA3, JA3S, JA4 (never HOST).
    ``value`` is normalised (``entente.matching.values``): an address or a CIDR block in
    canonical form (``10.0.0.0/8``, host bits cleared), a lower-case IDNA domain without the
    final dot, a normalised URL, a lower-case address or hash.
    """

    kind: ValueKind
    op: TermOp
    value: str


@dataclass(frozen=True, slots=True)
class CompiledIndicator:
    """An active indicator reduced to the terms the matcher evaluates."""

    id: str
    name: str | None
    labels: tuple[str, ...]
    # STIX ``confidence`` (0-100) until scoring gives every indicator its own score.
    score: int | None
    terms: tuple[Term, ...]
    created_by_ref: str | None = None
    marking_refs: tuple[str, ...] = ()
    modified: str | None = None  # the version's STIX ``modified`` as written


@dataclass(frozen=True, slots=True)
class NotDeployable:
    """An indicator the matcher cannot evaluate, with the reason (never silently ignored)."""

    id: str
    name: str | None
    pattern: str
    reason: str


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    """The compiled active indicators, and those left out with their reasons."""

    indicators: tuple[CompiledIndicator, ...]
    not_deployable: tuple[NotDeployable, ...] = ()

    def by_id(self) -> dict[str, CompiledIndicator]:
        """The indicators keyed by id."""
        return {indicator.id: indicator for indicator in self.indicators}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One log field the matcher looks at.

    ``name`` is the field as the log names it (``id.resp_h``, ``dns.rrname``, ``url``) and is
    also the column's name in ``LogBatch.table``. A ``many`` column holds a list of strings
    (Zeek sets and vectors, DNS answers); any other column holds a string.
    """

    name: str
    kind: ValueKind
    many: bool = False


# Columns every LogBatch table has first, in this order, before its FieldSpec columns:
#   record  int64   the record's position in its file: 1-based line number for line formats
#                   (Zeek TSV and NDJSON, CSV, NDJSON EVE), 1-based index for JSON arrays and
#                   Parquet rows; with ``source`` it identifies the record
#   ts      float64 seconds since the Unix epoch (UTC), null when the record has none
#   log     string  what the record is: "zeek.conn", "zeek.dns", "suricata.alert", "ocsf.4001",
#                   "csv" (Zeek: _path or the #path header; EVE: event_type; OCSF: class_uid)
#   context struct  the record's correlation fields (Zeek uid/fuid, EVE flow_id/community_id,
#                   src/dst address and port where known; a null member where the record has
#                   none), or a string of JSON object text, or null; hits carry it as a dict
RECORD_COLUMNS: tuple[str, ...] = ("record", "ts", "log", "context")


def context_of(cell: object) -> dict[str, Any] | None:
    """A ``context`` cell (after ``to_pylist``) as a hit's context: a dict, or None."""
    if cell is None:
        return None
    if isinstance(cell, dict):
        return cell
    value = orjson.loads(cell) if isinstance(cell, str | bytes) else None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class LogBatch:
    """A bounded slice of one log file: the record columns, then one column per field."""

    source: str  # the file's path as given (after glob and directory expansion)
    format: str  # "zeek-tsv", "zeek-json", "suricata-eve", "csv", "ocsf", "parquet"
    fields: tuple[FieldSpec, ...]
    table: pa.RecordBatch

    @property
    def num_rows(self) -> int:
        """How many records the batch holds."""
        return int(self.table.num_rows)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A record that could not be read, with where it is and why (it never stops a run)."""

    source: str
    line: int | None
    reason: str

    def where(self) -> str:
        """``file:line``, or the file alone when the line is unknown."""
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True, slots=True, order=True)
class Hit:
    """One log value matching one indicator.

    ``value`` is the log's value as it appeared (after splitting lists), ``matched`` the
    normalised form that matched the term.
    """

    source: str
    record: int
    field: str
    value: str
    indicator_id: str
    ts: float | None = None
    log: str | None = None
    kind: str = ""
    matched: str = ""
    indicator_name: str | None = None
    labels: tuple[str, ...] = ()
    score: int | None = None
    # Not part of equality or order: the key and the other fields identify a hit.
    context: dict[str, Any] | None = dataclasses.field(default=None, compare=False)

    def key(self) -> tuple[str, int, str, str, str]:
        """What identifies a hit when two matchers are compared."""
        return (self.source, self.record, self.field, self.value, self.indicator_id)
