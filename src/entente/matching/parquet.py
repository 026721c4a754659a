"""Parquet logs: which field map fits a file's columns, and the SQL that reads them.

A Parquet file is read with the field map its columns look like:

* ``event_type``, or both ``src_ip`` and ``dest_ip`` -> Suricata EVE (nested structs as in
  EVE JSON: ``dns`` is a struct with ``rrname``, ``answers``...);
* ``class_uid``, ``src_endpoint`` or ``dst_endpoint`` -> OCSF (nested as in OCSF JSON);
* ``_path``, ``uid``, ``id.orig_h`` or ``id.resp_h`` -> Zeek (flat columns named as the keys
  of Zeek JSON);
* with a CSV mapping, the mapping's columns, whatever else the file holds.

Each column is read whatever its Parquet type: scalars as text, lists of scalars as lists of
text, structs and other nesting through their JSON text, so a value reads as it would from
the JSON form of the same log. ``record`` is the 1-based row number.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Final

import duckdb

from entente.errors import UnsupportedFormat
from entente.matching import eve, ocsf, zeek
from entente.matching.csvflows import CsvMapping, mapping_projection
from entente.matching.duck import JsonShape, Projection, duck_type, literal, name
from entente.matching.model import FieldSpec

__all__ = ["family", "parquet_query", "read_columns"]

_NUMERIC: Final = re.compile(r"DOUBLE|FLOAT|REAL|U?(BIG|SMALL|TINY|HUGE)?INT(EGER)?|DECIMAL\(.*\)")
_NESTED: Final = re.compile(r"^(STRUCT|MAP|UNION)\(|\[\d*\]$")


def read_columns(con: duckdb.DuckDBPyConnection, path: str) -> dict[str, str]:
    """The file's top-level columns and their DuckDB types (reads the footer only)."""
    rows = con.sql(f"DESCRIBE SELECT * FROM read_parquet({literal(path)})").fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


def family(columns: Mapping[str, str], path: str) -> str:
    """``suricata-eve``, ``ocsf`` or ``zeek``: the field map the columns fit."""
    if "event_type" in columns or {"src_ip", "dest_ip"} <= columns.keys():
        return "suricata-eve"
    if {"class_uid", "src_endpoint", "dst_endpoint"} & columns.keys():
        return "ocsf"
    if {"_path", "uid", "id.orig_h", "id.resp_h"} & columns.keys():
        return "zeek"
    shown = ", ".join(list(columns)[:8])
    raise UnsupportedFormat(
        f"{path}: Parquet columns fit no known log (Zeek, Suricata EVE, OCSF); give a CSV "
        f"mapping to read it; its columns: {shown}"
    )


def parquet_query(
    path: str, columns: Mapping[str, str], mapping: CsvMapping | None
) -> tuple[str, tuple[FieldSpec, ...]]:
    """The query reading the file (``record`` then the ``LogBatch`` columns) and its fields."""
    if mapping is not None:
        projection = mapping_projection(
            mapping,
            lambda column: _text(column, columns),
            lambda column: _list(column, columns),
        )
        source = f"read_parquet({literal(path)}, file_row_number = true)"
        query = f"SELECT file_row_number + 1 AS record, {projection.select()} FROM {source}"
        return query, projection.fields
    kind = family(columns, path)
    shape: JsonShape
    if kind == "suricata-eve":
        projection, shape = eve.projection()
    elif kind == "ocsf":
        projection, shape = ocsf.projection()
    else:
        projection, shape = zeek.json_projection(None, zeek.log_from_filename(path))
    projection = _present(projection, columns)
    converted = {
        key: _convert(key, shape.shape(key), columns)
        for key in shape.keys()  # noqa: SIM118 (JsonShape is no mapping)
    }
    if kind == "zeek" and _NUMERIC.fullmatch(columns.get("ts", "")):
        # Epoch seconds stored as numbers (as Zeek's own Parquet and a JSON import give): read
        # them as numbers, not through text as a JSON ts that may be ISO-8601 must be (the
        # detour cost a third of the read).
        converted["ts"] = 'TRY_CAST("ts" AS DOUBLE)'
        projection = dataclasses.replace(
            projection, ts="(CASE WHEN isfinite(r['ts']) THEN r['ts'] END)"
        )
    members = ", ".join(f"{name(key)} := {sql}" for key, sql in converted.items())
    query = (
        f"SELECT file_row_number + 1 AS record, {projection.select()} FROM ("
        f"SELECT file_row_number, struct_pack({members}) AS r "
        f"FROM read_parquet({literal(path)}, file_row_number = true))"
    )
    return query, projection.fields


def _present(projection: Projection, columns: Mapping[str, str]) -> Projection:
    """Leave out the fields that read only columns the file lacks (they would be all NULL)."""
    kept = tuple(
        (spec, sql)
        for spec, sql in projection.columns
        if all(key in columns for key in _top_keys(sql))
    )
    return Projection(projection.ts, projection.log, projection.context, kept)


def _top_keys(sql: str) -> set[str]:
    """The top-level record keys an expression built by ``JsonShape`` reads (``r['key']``)."""
    return {match.replace("''", "'") for match in re.findall(r"\br\['((?:[^']|'')*)'\]", sql)}


def _is_scalar(duck: str) -> bool:
    return not _NESTED.search(duck)


def _convert(key: str, shape: object, columns: Mapping[str, str]) -> str:
    """SQL reading column ``key`` as the ``from_json`` structure ``shape`` would."""
    column_type = columns.get(key)
    target = duck_type(shape)
    if column_type is None:
        return f"CAST(NULL AS {target})"
    column = name(key)
    if shape in ("VARCHAR", "BIGINT"):
        if _is_scalar(column_type):
            return f"TRY_CAST({column} AS {shape})"
        return f"CAST(to_json({column}) AS VARCHAR)" if shape == "VARCHAR" else "NULL"
    if shape == ["VARCHAR"] and column_type.endswith("[]") and _is_scalar(column_type[:-2]):
        return f"TRY_CAST({column} AS VARCHAR[])"
    return f"from_json(to_json({column}), {literal(json.dumps(shape))})"


def _text(column: str, columns: Mapping[str, str]) -> str | None:
    column_type = columns.get(column)
    if column_type is None:
        return None
    if _is_scalar(column_type):
        return f"TRY_CAST({name(column)} AS VARCHAR)"
    return f"CAST(to_json({name(column)}) AS VARCHAR)"


def _list(column: str, columns: Mapping[str, str]) -> str | None:
    column_type = columns.get(column)
    if column_type is None or not column_type.endswith("[]"):
        return None
    return f"TRY_CAST({name(column)} AS VARCHAR[])"
