"""Log sources: files, directories and globs read as bounded ``LogBatch``es.

``open_logs(paths)`` expands the paths, recognises each file's format (``detect``) and reads
them in order with DuckDB, keeping only the fields that can match (projection pushdown).
Formats and their fields: ``zeek`` (TSV and JSON), ``eve`` (Suricata), ``ocsf``,
``csvflows`` (CSV through a column mapping) and ``parquet`` (any of those layouts).

What every batch promises (``model.RECORD_COLUMNS``, then one column per field):

* ``record`` is the record's 1-based line number in its decompressed file for line formats,
  blank, comment, header and malformed lines included (a line ends at ``\n``, ``\r\n`` or
  a lone ``\r``); the 1-based element or row number for JSON arrays and Parquet; the line a
  CSV row starts on.
* ``ts`` is float seconds since the epoch (NULL when missing or unreadable); ``log`` says
  what the record is (``zeek.dns``, ``suricata.alert``, ``ocsf.4003``, ``csv``); ``context``
  is a JSON object text of the correlation fields the format has, a key with ``null`` where a
  record lacks it.
* A field column is a string, or a list of strings for a ``many`` field. A JSON value of
  another type than the field's reads as its JSON text for a string field (``{"a":1}``,
  ``42``) and as NULL for a list field: the record is never lost to a type.

Malformed records never stop a run: each file's ``FileReport`` counts them all and quotes the
first 100 with ``file:line`` (``scan`` tells how). Problems of a file rather than of a
record (a damaged Zeek header, a truncated gzip stream) are its report's ``warnings``.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import duckdb

from entente.errors import InvalidInput, UnsupportedFormat
from entente.matching.csvflows import CsvMapping, parse_csv_mapping
from entente.matching.detect import FORMATS, Sniffed, detect_format, sniff_file
from entente.matching.duck import connect
from entente.matching.model import LogBatch
from entente.matching.parquet import family, read_columns
from entente.matching.reports import FileReport, ReportBuilder
from entente.matching.scan import FileScan

__all__ = [
    "CsvMapping",
    "FileReport",
    "LogReader",
    "detect_format",
    "expand_paths",
    "open_logs",
    "parse_csv_mapping",
]

_GLOB_CHARS = frozenset("*?[")


def expand_paths(paths: Sequence[str]) -> list[str]:
    """The files named by ``paths``: files as given, directories walked, globs matched.

    A directory gives every file under it that is not hidden (no part of its path below the
    directory starts with ``.``), in sorted order; a glob (``*``, ``?``, ``[...]``, ``**``)
    gives its matches in sorted order, walking the directories it matches. A file named
    twice is read once, where it first appears. ``InvalidInput`` names an argument that
    matches nothing.
    """
    return [path for path, _ in _expand(paths)]


def _expand(paths: Sequence[str]) -> list[tuple[str, bool]]:
    """``(path, walked)``: ``walked`` when the file was found by walking a directory."""
    found: list[tuple[str, bool]] = []
    for argument in paths:
        candidate = Path(argument)
        if candidate.is_file():
            matches = [(argument, False)]
        elif candidate.is_dir():
            matches = [(path, True) for path in _walk(argument)]
            if not matches:
                raise InvalidInput(f"{argument}: the directory holds no files")
        elif _GLOB_CHARS & set(argument):
            matches = []
            # Path.glob takes no absolute pattern; glob.glob takes what a shell would.
            for match in sorted(glob.glob(argument, recursive=True)):  # noqa: PTH207
                if Path(match).is_dir():
                    matches.extend((path, True) for path in _walk(match))
                elif Path(match).is_file():
                    matches.append((match, False))
            if not matches:
                raise InvalidInput(f"{argument}: matches no file")
        else:
            raise InvalidInput(f"{argument}: no such file or directory")
        found.extend(matches)
    seen: set[str] = set()
    unique: list[tuple[str, bool]] = []
    for path, walked in found:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append((path, walked))
    return unique


def _walk(directory: str) -> list[str]:
    files: list[str] = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        files.extend(
            str(Path(root, name))
            for name in names
            if not name.startswith(".") and Path(root, name).is_file()
        )
    return sorted(files)


class LogReader:
    """Reads log files in order as ``LogBatch``es of at most ``batch_rows`` records.

    A context manager; constructing it does no I/O. Iterating it first recognises every file
    (``UnsupportedFormat`` for a file named on the command line that is no known log; a file
    found by walking a directory is skipped with a warning in its report instead), then
    reads them one after the other. ``reports()`` holds one ``FileReport`` per file read so
    far, complete once the iteration has ended.
    """

    def __init__(
        self,
        files: Sequence[str],
        *,
        log_format: str | None = None,
        csv_mapping: CsvMapping | None = None,
        batch_rows: int = 65536,
        threads: int = 1,
        walked: frozenset[str] = frozenset(),
    ) -> None:
        self.files: tuple[str, ...] = tuple(files)
        self._format = log_format
        self._mapping = csv_mapping
        self._batch_rows = batch_rows
        self._threads = threads
        # Files found by walking a directory: one no reader knows is skipped, not refused.
        self.walked = walked
        self._con: duckdb.DuckDBPyConnection | None = None
        self._reports: list[ReportBuilder] = []

    def __enter__(self) -> LogReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[LogBatch]:
        """Every file's records, file after file, in file order."""
        if self._con is None:
            self._con = connect(self._threads)
        con = self._con
        self._reports = []
        prepared = [(path, self._prepare(con, path)) for path in self.files]
        for path, found in prepared:
            size = _size(path)
            if isinstance(found, str):
                report = ReportBuilder(path, "unsupported", size)
                report.warn(None, found)
                self._reports.append(report)
                continue
            sniffed, columns = found
            report = ReportBuilder(path, sniffed.format, size)
            self._reports.append(report)
            scan = FileScan(
                con,
                sniffed,
                report,
                csv_mapping=self._mapping,
                batch_rows=self._batch_rows,
                parquet_columns=columns,
            )
            yield from scan.batches()

    def reports(self) -> list[FileReport]:
        """One report per file read so far (the current file's as it stands)."""
        return [builder.report() for builder in self._reports]

    def close(self) -> None:
        """Close the DuckDB connection (a later iteration opens a new one)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def _prepare(
        self, con: duckdb.DuckDBPyConnection, path: str
    ) -> tuple[Sniffed, dict[str, str] | None] | str:
        """How to read ``path``; for a walked file that cannot be read, why (a string)."""
        try:
            sniffed = sniff_file(path, self._format)
            columns: dict[str, str] | None = None
            if sniffed.layout == "csv" and self._mapping is None:
                raise UnsupportedFormat(f"{path}: CSV needs a column mapping (--csv-map)")
            if sniffed.layout == "parquet":
                try:
                    columns = read_columns(con, path)
                except duckdb.Error as exc:
                    raise UnsupportedFormat(f"{path}: not a readable Parquet file ({exc})") from exc
                if self._mapping is None:
                    family(columns, path)
        except UnsupportedFormat as exc:
            if path in self.walked:
                return str(exc)
            raise
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        return sniffed, columns


def open_logs(
    paths: Sequence[str],
    *,
    log_format: str | None = None,
    csv_mapping: CsvMapping | None = None,
    batch_rows: int = 65536,
    threads: int = 1,
) -> LogReader:
    """A reader of the log files named by ``paths`` (files, directories, globs).

    ``log_format`` reads every file as that format instead of recognising it; ``csv_mapping``
    says which columns to read from CSV (required for CSV) and from Parquet (instead of the
    layout its columns suggest); other formats ignore it. ``threads`` is DuckDB's.
    """
    if log_format is not None and log_format not in FORMATS:
        raise InvalidInput(f"unknown log format {log_format!r} (one of {', '.join(FORMATS)})")
    if log_format == "csv" and csv_mapping is None:
        raise InvalidInput("CSV logs need a column mapping")
    if batch_rows < 1:
        raise InvalidInput(f"batch_rows must be at least 1, not {batch_rows}")
    if threads < 1:
        raise InvalidInput(f"threads must be at least 1, not {threads}")
    expanded = _expand(paths)
    return LogReader(
        [path for path, _ in expanded],
        log_format=log_format,
        csv_mapping=csv_mapping,
        batch_rows=batch_rows,
        threads=threads,
        walked=frozenset(path for path, walked in expanded if walked),
    )


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
