"""How the lines of a JSON or Zeek TSV log become ``LogBatch`` rows: one SQL query per plan.

A plan parses each line into ``r`` (a struct for JSON, the list of cells for TSV), classifies
it (``_kind``: NULL for a record, else ``BLANK``, ``HEADER``, ``INVALID`` or the JSON type of
a value that is not an object) and projects ``r`` into the batch columns. Its ``fast`` query
lets DuckDB raise on the first malformed line (the scan then falls back to the careful path,
``textlines``); its ``safe`` query never raises and classifies every line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from entente.matching import zeek
from entente.matching.duck import JsonShape, Projection, literal

__all__ = [
    "BLANK",
    "FIELDS",
    "HEADER",
    "INVALID",
    "OBJECT",
    "LinePlan",
    "Restart",
    "json_plan",
    "tsv_plan",
    "zeek_json_plan",
]

# The ``_kind`` of a line that is not a plain record: skipped (BLANK), seen by the plan's
# header hook (HEADER), a record after all (OBJECT: an object after white space), or
# malformed (INVALID JSON, a TSV line with the wrong number of FIELDS, or a JSON type name).
BLANK: Final = "BLANK"
HEADER: Final = "HEADER"
OBJECT: Final = "OBJECT"
INVALID: Final = "INVALID"
FIELDS: Final = "FIELDS"

# A line of JSON white space only (RFC 8259 §2) is blank, in TSV too.
_BLANK_LINE: Final = "trim(line, ' \t\r\n') = ''"

_JSON_TYPES = {
    "ARRAY": "an array",
    "VARCHAR": "a string",
    "BIGINT": "a number",
    "UBIGINT": "a number",
    "HUGEINT": "a number",
    "DOUBLE": "a number",
    "BOOLEAN": "a boolean",
    "NULL": "null",
}


@dataclass(frozen=True, slots=True)
class Restart:
    """Read again from after line ``start`` with ``plan`` (None: stop reading the file).

    ``warnings`` are ``(line, reason)`` problems the new plan found (a damaged header).
    """

    start: int
    plan: LinePlan | None
    warnings: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LinePlan:
    """The queries that read one line-based file, and the checks on what they return.

    ``header(record, lines, complete)`` sees each run of ``HEADER`` lines (``complete``:
    the run ends within the batch) and may restart the read with a new plan;
    ``check(batch)`` sees each raw batch and may cut it at a row and restart (the index of
    that row and the restart); ``post`` rewrites the batch that goes out.
    """

    projection: Projection
    parse: str
    parse_safe: str
    kind: str
    kind_safe: str
    describe: Callable[[str, str], str]
    header: Callable[[int, Sequence[str], bool], Restart | None] | None = None
    check: Callable[[pa.RecordBatch], tuple[int, Restart] | None] | None = None
    post: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None

    def query(self, source: str, *, safe: bool) -> str:
        """The query over ``source`` (a relation of ``record`` and ``line``)."""
        parse = self.parse_safe if safe else self.parse
        kind = self.kind_safe if safe else self.kind
        return (
            f"SELECT record, {self.projection.select()}, _kind, "
            "CASE WHEN _kind IS NULL THEN NULL ELSE line END AS _text "
            f"FROM (SELECT record, line, r, {kind} AS _kind "
            f"FROM (SELECT record, line, {parse} AS r FROM ({source}) WHERE line IS NOT NULL))"
        )


def json_plan(
    projection: Projection,
    shape: JsonShape,
    check: Callable[[pa.RecordBatch], tuple[int, Restart] | None] | None = None,
) -> LinePlan:
    """The plan of JSON lines (or array elements) read through ``shape``."""
    spec = literal(shape.spec())
    strict = f"from_json(line, {spec})"
    lenient = f"try(from_json(line, {spec}))"
    # Lines starting with '{' are parsed strictly: an invalid one stops the fast query. Other
    # lines (white space, a JSON value that is no object) are rare and never stop it.
    parse = f"(CASE WHEN prefix(line, '{{') THEN {strict} ELSE {lenient} END)"
    kind = (
        f"CASE WHEN prefix(line, '{{') THEN NULL WHEN {_BLANK_LINE} THEN '{BLANK}' "
        f"WHEN json_valid(line) THEN json_type(line) ELSE '{INVALID}' END"
    )
    kind_safe = (
        f"CASE WHEN r IS NULL THEN (CASE WHEN {_BLANK_LINE} THEN '{BLANK}' "
        f"WHEN json_valid(line) THEN json_type(line) ELSE '{INVALID}' END) "
        f"WHEN prefix(line, '{{') THEN NULL ELSE json_type(line) END"
    )
    return LinePlan(
        projection=projection,
        parse=parse,
        parse_safe=lenient,
        kind=kind,
        kind_safe=kind_safe,
        describe=_describe_json,
        check=check,
    )


def zeek_json_plan(logs: frozenset[str] | None, default_log: str | None) -> LinePlan:
    """The plan of Zeek JSON lines, reading only the fields of ``logs`` when given.

    Reading every field of every Zeek log costs half as much again as reading one log's, so
    a file is read with the fields of the logs its records belong to (their ``_path``, else
    the log its name says): at first those of its first lines and its name. When a record of
    another log turns up, the batch is cut there and the file read on with that log's fields
    added (every field for a log outside ``KNOWN_LOGS``). No record loses a field, and a
    file of one log pays for one log.
    """
    projection, shape = zeek.json_projection(logs, default_log)
    if logs is None:
        return json_plan(projection, shape)
    expected = pa.array(sorted(f"zeek.{log}" for log in logs), pa.string())

    def check(batch: pa.RecordBatch) -> tuple[int, Restart] | None:
        kinds = batch.column("_kind")
        records = pc.or_kleene(pc.is_null(kinds), pc.equal(kinds, OBJECT))
        other = pc.and_kleene(records, pc.invert(pc.is_in(batch.column("log"), expected)))
        if not pc.any(other).as_py():
            return None
        index = pc.index(other, True).as_py()
        found = str(batch.column("log")[index].as_py()).removeprefix("zeek").removeprefix(".")
        wider = logs | {found} if found in zeek.KNOWN_LOGS else None
        start = batch.column("record")[index].as_py() - 1
        return index, Restart(start, zeek_json_plan(wider, default_log))

    return json_plan(projection, shape, check)


def tsv_plan(
    path: str, *, gzip_stream: bool, header: zeek.TsvHeader, default_log: str | None
) -> LinePlan:
    """The plan of the Zeek TSV lines under ``header``.

    A header line further down that changes the header (concatenated logs) restarts the read
    there with the new header; ``#open``/``#close`` and repeats of the header are skipped.
    """
    projection = zeek.tsv_projection(header, default_log)
    width = len(header.fields)
    separator = header.separator
    parse = f"string_split(line, {literal(separator)})"
    kind = (
        f"CASE WHEN prefix(line, '#') THEN '{HEADER}' WHEN len(r) = {width} THEN NULL "
        f"WHEN {_BLANK_LINE} THEN '{BLANK}' ELSE '{FIELDS}' END"
    )
    names = [spec.name for spec in projection.fields]

    def on_header(record: int, lines: Sequence[str], complete: bool) -> Restart | None:
        if not any(header.changed_by(line) for line in lines):
            return None
        if complete:
            new = zeek.parse_tsv_header(lines, record, header)
        else:
            # The block goes on past this batch: read it from the file.
            new = zeek.read_tsv_header(path, gzip_stream=gzip_stream, start=record - 1, base=header)
        if not new.fields:
            return Restart(record - 1, None, ((record, "no #fields line in this header"),))
        plan = tsv_plan(path, gzip_stream=gzip_stream, header=new, default_log=default_log)
        return Restart(record - 1, plan, new.problems)

    def describe(_: str, text: str) -> str:
        found = len(text.split(separator))
        return f"expected {width} fields as in #fields, found {found}"

    return LinePlan(
        projection=projection,
        parse=parse,
        parse_safe=parse,
        kind=kind,
        kind_safe=kind,
        describe=describe,
        header=on_header,
        post=lambda batch: zeek.unescape_batch(batch, names),
    )


def _describe_json(kind: str, text: str) -> str:
    if kind != INVALID:
        return f"not a JSON object ({_JSON_TYPES.get(kind, kind.lower())})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg}, column {exc.colno})"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    return "invalid JSON"
