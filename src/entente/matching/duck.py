"""The DuckDB connection and the SQL pieces every log source shares.

DuckDB reads the files (projection pushdown: only the keys that can match are parsed) and
turns each record into the columns of a ``LogBatch``. Everything here builds SQL text or runs
it; the format modules (``zeek``, ``eve``, ``ocsf``, ``csvflows``) say *what* to read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import duckdb
import pyarrow as pa

from entente.matching.model import RECORD_COLUMNS, FieldSpec

__all__ = [
    "LINES_SPLIT",
    "JsonShape",
    "Projection",
    "batch_schema",
    "connect",
    "context_struct",
    "duck_type",
    "epoch_seconds",
    "http_url",
    "json_objects_sql",
    "lines_sql",
    "literal",
    "name",
    "stream",
]

# The field delimiter of the one-column line scan. NUL never occurs in JSON text (control
# characters must be escaped, RFC 8259 §7) nor in Zeek TSV (non-printables are written \xNN),
# so every line arrives whole. It must be the byte itself: DuckDB reads a four-character
# '\x01' as a multi-byte delimiter and silently cuts lines that contain that text.
LINES_SPLIT: Final = "\x00"


@dataclass(frozen=True, slots=True)
class Projection:
    """The SQL that turns one parsed record into a ``LogBatch`` row (after ``record``).

    ``ts``, ``log`` and ``context`` are SQL expressions; ``columns`` pairs each field with the
    SQL that reads it (a string, or a list of strings for a ``many`` field).
    """

    ts: str
    log: str
    context: str
    columns: tuple[tuple[FieldSpec, str], ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        """The fields, in column order."""
        return tuple(spec for spec, _ in self.columns)

    def select(self) -> str:
        """The select list: ``ts``, ``log``, ``context``, then one column per field."""
        parts = [
            f"CAST({self.ts} AS DOUBLE) AS ts",
            f"CAST({self.log} AS VARCHAR) AS log",
            f"{self.context} AS context",
        ]
        parts.extend(
            f"CAST({sql} AS {'VARCHAR[]' if spec.many else 'VARCHAR'}) AS {name(spec.name)}"
            for spec, sql in self.columns
        )
        return ", ".join(parts)


def batch_schema(fields: Sequence[FieldSpec], context: pa.DataType | None = None) -> pa.Schema:
    """The Arrow schema of a ``LogBatch`` table with these fields (``context``: the type of the
    context column, a struct of the format's correlation fields, or a string by default)."""
    record, ts, log, context_name = RECORD_COLUMNS
    columns = [
        pa.field(record, pa.int64()),
        pa.field(ts, pa.float64()),
        pa.field(log, pa.string()),
        pa.field(context_name, context if context is not None else pa.string()),
    ]
    columns.extend(
        pa.field(spec.name, pa.list_(pa.string()) if spec.many else pa.string()) for spec in fields
    )
    return pa.schema(columns)


def connect(threads: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with ``threads`` threads; naive timestamps read as UTC."""
    con = duckdb.connect(":memory:", config={"threads": threads})
    # ISO-8601 timestamps without an offset (Suricata EVE written with local time off, CSV
    # exports) are taken as UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def name(text: str) -> str:
    """``text`` as an SQL identifier (column names such as ``id.orig_h`` hold dots)."""
    return '"' + text.replace('"', '""') + '"'


def lines_sql(path: str, *, gzip: bool, skip: int) -> str:
    """One row per line of ``path`` after its first ``skip`` lines: ``record`` and ``line``.

    Blank lines arrive as a NULL ``line`` so that the running row number stays the 1-based
    line number. DuckDB ends a line at ``\\n``, ``\\r\\n`` or a lone ``\\r``.
    """
    return (
        f"SELECT row_number() OVER () + {int(skip)} AS record, line "
        f"FROM read_csv({literal(path)}, columns = {{'line': 'VARCHAR'}}, "
        f"delim = {literal(LINES_SPLIT)}, quote = '', escape = '', header = false, "
        f"auto_detect = false, strict_mode = false, skip = {int(skip)}, "
        f"compression = {literal('gzip' if gzip else 'none')})"
    )


def json_objects_sql(path: str, *, gzip: bool, skip: int) -> str:
    """One row per element of the JSON array in ``path``: ``record`` (1-based) and ``line``."""
    return (
        "SELECT record, line FROM ("
        "SELECT row_number() OVER () AS record, CAST(json AS VARCHAR) AS line "
        f"FROM read_json_objects({literal(path)}, format = 'array', "
        f"compression = {literal('gzip' if gzip else 'none')})"
        f") WHERE record > {int(skip)}"
    )


def epoch_seconds(text: str) -> str:
    """SQL: seconds since the epoch from text holding epoch seconds or an ISO-8601 timestamp.

    Offsets such as ``-0600`` and ``Z`` are honoured; a timestamp without one is UTC. Values
    that are neither, and infinities or NaN, give NULL.
    """
    # epoch_us / 1e6 is the double nearest the timestamp, as parsing its epoch text gives;
    # epoch() is off in the last digits.
    seconds = (
        f"coalesce(TRY_CAST({text} AS DOUBLE), epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) / 1e6)"
    )
    return f"(CASE WHEN isfinite({seconds}) THEN {seconds} END)"


def http_url(host: str, uri: str, port: str | None = None) -> str:
    """SQL: the absolute URL of an HTTP request from its Host and request target.

    A request target that is already absolute (``http://...``, a proxy request) is the URL as
    it is. An origin-form target (``/path``) with a non-empty host gives
    ``http://host[:port]/path``; ``port`` (EVE's ``http_port``) is added when it is not 80.
    Anything else (CONNECT's ``host:port``, ``*``) is no URL.
    """
    suffix = (
        "''"
        if port is None
        else f"(CASE WHEN {port} IS NULL OR {port} = 80 THEN '' ELSE ':' || {port} END)"
    )
    return (
        f"(CASE WHEN regexp_matches({uri}, '^[A-Za-z][A-Za-z0-9+.-]*://') THEN {uri} "
        f"WHEN prefix({uri}, '/') AND {host} <> '' AND NOT contains({host}, '/') "
        f"THEN 'http://' || {host} || {suffix} || {uri} END)"
    )


def context_struct(pairs: Sequence[tuple[str, str]]) -> str:
    """SQL: a struct of the correlation fields ``(key, sql)``; a NULL string when there are none.

    A struct, not JSON text: it costs nothing to build, and only the few records that hit are
    ever turned into objects (serialising every record's context took a fifth of a read).
    Keys whose value is null are kept, with ``None``.
    """
    if not pairs:
        return "CAST(NULL AS VARCHAR)"
    args = ", ".join(f"{literal(key)}: {sql}" for key, sql in pairs)
    return "{" + args + "}"


def stream(con: duckdb.DuckDBPyConnection, query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The query's result as Arrow record batches of at most ``batch_rows`` rows.

    A failure while streaming arrives through Arrow as a plain ``OSError``; it is raised as
    the ``duckdb.Error`` it was, so that callers catch one type.
    """
    # ``con.sql`` streams; ``con.execute`` would materialise the result before the reader.
    reader = con.sql(query).to_arrow_reader(batch_rows)
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (OSError, pa.ArrowException) as exc:
                raise duckdb.Error(str(exc)) from exc
            yield batch
    finally:
        reader.close()


# A from_json structure: "VARCHAR", "BIGINT", ["VARCHAR"], a nested mapping, or a list of one.
Shape = Any


class JsonShape:
    """The keys a query reads from each JSON object, gathered as a projection asks for them.

    Each accessor registers a path and returns the SQL that reads it from the struct ``var``
    (the result of ``from_json(line, spec)``); :meth:`spec` is that ``from_json`` structure.
    A value of another JSON type than asked for reads as NULL for numbers and lists, and as
    its JSON text for strings (``from_json`` semantics): a record is never lost to a type.
    """

    def __init__(self, var: str = "r") -> None:
        self._var = var
        self._tree: dict[str, Shape] = {}

    def text(self, *path: str) -> str:
        """A string (any scalar as its text, an object or array as its JSON text)."""
        return self._add(path, "VARCHAR")

    def texts(self, *path: str) -> str:
        """A list of strings."""
        return self._add(path, ["VARCHAR"])

    def integer(self, *path: str) -> str:
        """A 64-bit integer."""
        return self._add(path, "BIGINT")

    def objects(self, path: Sequence[str], members: Mapping[str, str]) -> str:
        """A list of objects with the given members and their types."""
        return self._add(tuple(path), [dict(members)])

    def keys(self) -> tuple[str, ...]:
        """The top-level keys read."""
        return tuple(self._tree)

    def shape(self, key: str) -> Shape:
        """The structure read under a top-level key."""
        return self._tree[key]

    def spec(self) -> str:
        """The ``from_json`` structure as JSON text."""
        return json.dumps(self._tree, separators=(",", ":"))

    def _add(self, path: tuple[str, ...], leaf: Shape) -> str:
        node = self._tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ValueError(f"{'.'.join(path)}: {key} is read both as a value and an object")
            node = child
        current = node.setdefault(path[-1], leaf)
        if current != leaf:
            raise ValueError(f"{'.'.join(path)} is read as two different types")
        return self._var + "".join(f"[{literal(key)}]" for key in path)


def duck_type(shape: Shape) -> str:
    """The DuckDB type of a ``from_json`` structure."""
    if isinstance(shape, str):
        return shape
    if isinstance(shape, list):
        return duck_type(shape[0]) + "[]"
    members = ", ".join(f"{name(key)} {duck_type(value)}" for key, value in shape.items())
    return f"STRUCT({members})"
