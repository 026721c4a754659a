"""CSV flow logs read through a column mapping: the mapping's syntax and the CSV reader.

A mapping names the columns that hold values and what they hold, as ``column=kind`` entries
separated by commas::

    ts=time,src=ip,dst=ip,qname=domain,answers=host[]

* ``kind`` is one of ``ip``, ``domain``, ``host``, ``url``, ``email``, ``md5``, ``sha1``,
  ``sha256``, ``ja3``, ``ja3s``, ``ja4``, or ``time`` for the one column holding the record's
  time (epoch seconds or ISO-8601; without an offset it is UTC).
* ``[]`` after the kind: the cell holds a list. Its elements are separated by commas,
  semicolons, pipes or white space; a URL list by white space only (a URL may contain the
  others); an email list by commas and semicolons only (``Name <a@b>`` has spaces). Empty
  elements are dropped.
* A column name is the header's name, without ``,`` or ``=``; surrounding spaces are ignored.
  It is found in the header as written, else ignoring case and surrounding spaces.

The file needs a header row. Each row's ``record`` is the line its first cell starts on.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import pyarrow as pa

from entente.errors import InvalidInput
from entente.matching.duck import Projection, epoch_seconds, literal
from entente.matching.model import FieldSpec, ValueKind

__all__ = [
    "CsvMapping",
    "mapping_projection",
    "parse_csv_mapping",
    "read_csv_rows",
]

_TIME: Final = "time"
_KINDS: Final = {kind.value: kind for kind in ValueKind}
_SURROGATES: Final = re.compile("[\udc80-\udcff]")
# How a list cell is split, by the kind of its elements (see the module docstring).
_LIST_SPLIT: Final = {
    ValueKind.URL: r"\s+",
    ValueKind.EMAIL: r"[,;]",
}
_DEFAULT_SPLIT: Final = r"[,;|\s]+"


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Which CSV columns hold the time and the values to match."""

    ts: str | None
    fields: tuple[FieldSpec, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping reads: the time column first, then the fields."""
        return ((self.ts,) if self.ts is not None else ()) + tuple(f.name for f in self.fields)


def parse_csv_mapping(text: str) -> CsvMapping:
    """Parse ``column=kind[,column=kind...]``; ``InvalidInput`` says which entry is wrong."""
    ts: str | None = None
    fields: list[FieldSpec] = []
    seen: set[str] = set()
    entries = text.split(",")
    kinds = ", ".join([*_KINDS, _TIME])
    for position, raw in enumerate(entries, start=1):
        entry = raw.strip()
        where = f"CSV mapping entry {position} {entry!r}"
        column, sep, kind_text = entry.partition("=")
        column, kind_text = column.strip(), kind_text.strip().lower()
        if not entry:
            raise InvalidInput(f"CSV mapping entry {position} is empty (stray comma?)")
        if not sep:
            raise InvalidInput(f"{where}: expected column=kind")
        if not column:
            raise InvalidInput(f"{where}: no column name before '='")
        if "=" in kind_text:
            raise InvalidInput(f"{where}: more than one '='")
        if column in seen:
            raise InvalidInput(f"{where}: column {column!r} is mapped twice")
        seen.add(column)
        many = kind_text.endswith("[]")
        base = kind_text.removesuffix("[]").strip()
        if base == _TIME:
            if many:
                raise InvalidInput(f"{where}: the time column holds one value, not a list")
            if ts is not None:
                raise InvalidInput(f"{where}: a second time column (the first is {ts!r})")
            ts = column
            continue
        kind = _KINDS.get(base)
        if kind is None:
            raise InvalidInput(f"{where}: unknown kind {base!r} (one of {kinds}; '[]' for lists)")
        fields.append(FieldSpec(column, kind, many))
    if not fields:
        raise InvalidInput("CSV mapping names no column to match (only a time column)")
    return CsvMapping(ts=ts, fields=tuple(fields))


def mapping_projection(
    mapping: CsvMapping,
    text_of: Callable[[str], str | None],
    list_of: Callable[[str], str | None] = lambda _: None,
) -> Projection:
    """The projection of records read through ``mapping``; ``log`` is ``csv``.

    ``text_of(column)`` is the SQL of a column's text (None: the column is missing, and so is
    its field); ``list_of(column)`` the SQL of a column that is already a list (Parquet).
    """
    columns: list[tuple[FieldSpec, str]] = []
    for spec in mapping.fields:
        native = list_of(spec.name) if spec.many else None
        if native is not None:
            columns.append((spec, native))
            continue
        text = text_of(spec.name)
        if text is None:
            continue
        if spec.many:
            pattern = literal(_LIST_SPLIT.get(spec.kind, _DEFAULT_SPLIT))
            columns.append(
                (
                    spec,
                    f"list_filter(list_transform(regexp_split_to_array({text}, {pattern}), "
                    "lambda item: trim(item)), lambda item: item <> '')",
                )
            )
        else:
            columns.append((spec, f"NULLIF({text}, '')"))
    ts_text = text_of(mapping.ts) if mapping.ts is not None else None
    return Projection(
        ts=epoch_seconds(ts_text) if ts_text is not None else "NULL",
        log="'csv'",
        context="NULL",
        columns=tuple(columns),
    )


def read_csv_rows(
    path: str,
    *,
    gzip_stream: bool,
    columns: Sequence[str],
    batch_rows: int,
    bad: Callable[[int, str], None],
    warn: Callable[[int | None, str], None],
) -> Iterator[tuple[pa.Table, tuple[str, ...]]]:
    """Tables of at most ``batch_rows`` rows: ``record`` and the named columns as text.

    Each table comes with the columns it holds (``c0``, ``c1``... in ``columns`` order, those
    the header lacks are left out and told to ``warn``). A row with another number of cells
    than the header, undecodable bytes in a read cell, or a CSV syntax error goes to ``bad``
    with its line. A truncated or corrupt stream goes to ``warn`` and ends the file.
    """
    try:
        with _open_csv(path, gzip_stream=gzip_stream) as handle:
            yield from _rows(handle, columns, batch_rows, bad, warn)
    except (EOFError, OSError) as exc:
        warn(None, f"the file ends early or cannot be read ({exc})")


def _open_csv(path: str, *, gzip_stream: bool) -> IO[str]:
    # newline='' as the csv module requires: quoted cells may hold line breaks.
    # The text wrapper owns the binary stream and closes it.
    if gzip_stream:
        return io.TextIOWrapper(
            gzip.open(path, "rb"),
            encoding="utf-8-sig",
            errors="surrogateescape",
            newline="",
        )
    return io.TextIOWrapper(
        Path(path).open("rb"),
        encoding="utf-8-sig",
        errors="surrogateescape",
        newline="",
    )


def _rows(
    handle: IO[str],
    columns: Sequence[str],
    batch_rows: int,
    bad: Callable[[int, str], None],
    warn: Callable[[int | None, str], None],
) -> Iterator[tuple[pa.Table, tuple[str, ...]]]:
    reader = csv.reader(handle)
    header: list[str] | None = None
    header_line = 0
    previous = 0
    while header is None:
        try:
            row = next(reader)
        except StopIteration:
            warn(None, "no header row")
            return
        header_line, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in row):
            header = row
    positions, names = _locate(header, columns, header_line, warn)
    if not positions:
        warn(header_line, "the header has none of the columns the CSV mapping names")
        return
    records: list[int] = []
    cells: list[list[str | None]] = [[] for _ in positions]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, previous = previous + 1, reader.line_num
            bad(line, f"CSV syntax error: {exc}")
            continue
        line, previous = previous + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            bad(line, f"expected {len(header)} cells as in the header, found {len(row)}")
            continue
        values = [row[position] for position in positions]
        if any(_SURROGATES.search(value) for value in values if not value.isascii()):
            bad(line, "not valid UTF-8")
            continue
        records.append(line)
        for target, value in zip(cells, values, strict=True):
            target.append(value)
        if len(records) >= batch_rows:
            yield _table(records, cells, names), names
            records, cells = [], [[] for _ in positions]
    if records:
        yield _table(records, cells, names), names


def _locate(
    header: Sequence[str],
    columns: Sequence[str],
    line: int,
    warn: Callable[[int | None, str], None],
) -> tuple[list[int], tuple[str, ...]]:
    exact = {name: index for index, name in reversed(list(enumerate(header)))}
    loose = {name.strip().lower(): index for index, name in reversed(list(enumerate(header)))}
    positions: list[int] = []
    names: list[str] = []
    for order, column in enumerate(columns):
        index = exact.get(column, loose.get(column.strip().lower()))
        if index is None:
            warn(line, f"column {column!r} named in the CSV mapping is not in the header")
            continue
        positions.append(index)
        names.append(f"c{order}")
    return positions, tuple(names)


def _table(records: list[int], cells: list[list[str | None]], names: Sequence[str]) -> pa.Table:
    arrays = [pa.array(records, pa.int64())]
    arrays.extend(pa.array(values, pa.string()) for values in cells)
    return pa.Table.from_arrays(arrays, names=["record", *names])
