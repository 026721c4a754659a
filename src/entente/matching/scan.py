"""Reading one log file into ``LogBatch``es, counting and quoting what is malformed.

Line formats (Zeek TSV, JSON lines) and JSON arrays are read by DuckDB's fast query. When it
raises (an invalid JSON line, bytes that are not UTF-8, a truncated gzip stream, a line
longer than DuckDB's limit), the read goes on from the first line not yet delivered along the
careful path: Python reads the lines (``textlines``) and DuckDB's safe query parses them, so
each malformed line is reported with its number and the lines after it keep theirs. Once the
careful path has passed a malformed line and read ``window`` lines, the fast query resumes
there (skipping the lines already read); the window grows fourfold each time, so a file full
of malformed lines does not bounce between the two.

CSV is read by Python's csv module (exact line numbers, quoted line breaks) and projected by
DuckDB; Parquet by DuckDB alone.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa

from entente.matching import eve, ocsf, zeek
from entente.matching.csvflows import CsvMapping, mapping_projection, read_csv_rows
from entente.matching.detect import Sniffed, read_head
from entente.matching.duck import batch_schema, json_objects_sql, lines_sql, stream
from entente.matching.model import RECORD_COLUMNS, FieldSpec, LogBatch
from entente.matching.parquet import parquet_query, read_columns
from entente.matching.plans import (
    BLANK,
    HEADER,
    OBJECT,
    LinePlan,
    Restart,
    json_plan,
    tsv_plan,
    zeek_json_plan,
)
from entente.matching.reports import ReportBuilder
from entente.matching.textlines import Item, iter_array, iter_lines

__all__ = ["FileScan"]

# Lines the careful path reads at least before handing back to the fast query.
_FIRST_WINDOW: Final = 1 << 14
_CHUNK_TABLE: Final = "entente_lines"
_ROWS_TABLE: Final = "entente_rows"


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How a pass over a file ended: ``done``, ``restart``, ``failed`` or ``paused`` at
    ``start`` (lines already read)."""

    state: str
    start: int = 0
    restart: Restart | None = None


_DONE: Final = _Outcome("done")


class FileScan:
    """Reads one detected file as batches of at most ``batch_rows`` records."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        sniffed: Sniffed,
        report: ReportBuilder,
        *,
        csv_mapping: CsvMapping | None,
        batch_rows: int,
        parquet_columns: dict[str, str] | None = None,
    ) -> None:
        self._con = con
        self._sniffed = sniffed
        self._report = report
        self._path = report.source
        self._mapping = csv_mapping
        self._batch_rows = batch_rows
        self._parquet_columns = parquet_columns

    def batches(self) -> Iterator[LogBatch]:
        """The file's records, in file order."""
        layout = self._sniffed.layout
        if layout == "empty":
            return
        if layout == "parquet":
            yield from self._parquet()
        elif layout == "csv":
            yield from self._csv()
        else:
            plan = self._first_plan()
            if plan is not None:
                yield from self._lines(plan)

    # ----------------------------------------------------------------- line formats

    def _first_plan(self) -> LinePlan | None:
        log_format = self._sniffed.format
        default_log = zeek.log_from_filename(self._path)
        if log_format == "zeek-tsv":
            header = zeek.read_tsv_header(self._path, gzip_stream=self._sniffed.gzip)
            for line, reason in header.problems:
                self._report.warn(line, reason)
            if not header.fields:
                self._report.warn(None, "no #fields line in the Zeek header")
                return None
            return tsv_plan(
                self._path, gzip_stream=self._sniffed.gzip, header=header, default_log=default_log
            )
        if log_format == "zeek-json":
            # Start with the fields of the logs the first lines belong to (read again here:
            # detection keeps no bytes), so that a file of a few logs is not restarted for each.
            head, _ = read_head(self._path)
            seen = zeek.logs_in_head(head, default_log)
            named = {default_log} if default_log else set()
            if not seen | named or (seen | named) - zeek.KNOWN_LOGS:
                return zeek_json_plan(None, default_log)
            return zeek_json_plan(seen | named, default_log)
        if log_format == "suricata-eve":
            return json_plan(*eve.projection())
        if log_format == "ocsf":
            return json_plan(*ocsf.projection())
        self._report.warn(None, f"{log_format} is not a line format")
        return None

    def _lines(self, plan: LinePlan) -> Iterator[LogBatch]:
        start = 0
        window = max(_FIRST_WINDOW, self._batch_rows)
        current: LinePlan | None = plan
        while current is not None:
            outcome = yield from self._fast(current, start)
            if outcome.state == "failed":
                outcome = yield from self._slow(current, outcome.start, window)
                window *= 4
            if outcome.state == "done":
                return
            if outcome.restart is not None:
                for line, reason in outcome.restart.warnings:
                    self._report.warn(line, reason)
                current, start = outcome.restart.plan, outcome.restart.start
            else:
                start = outcome.start

    def _fast(self, plan: LinePlan, start: int) -> Generator[LogBatch, None, _Outcome]:
        gzip_stream = self._sniffed.gzip
        if self._sniffed.layout == "array":
            source = json_objects_sql(self._path, gzip=gzip_stream, skip=start)
        else:
            source = lines_sql(self._path, gzip=gzip_stream, skip=start)
        consumed = start
        try:
            for raw in stream(self._con, plan.query(source, safe=False), self._batch_rows):
                if not raw.num_rows:
                    continue
                last = int(raw.column(0)[-1].as_py())
                batch, restart = self._finish(plan, raw, start)
                if batch is not None:
                    yield batch
                if restart is not None:
                    return _Outcome("restart", restart=restart)
                consumed = last
        except duckdb.Error:
            return _Outcome("failed", consumed)
        return _DONE

    def _slow(self, plan: LinePlan, start: int, window: int) -> Generator[LogBatch, None, _Outcome]:
        broken: list[str] = []
        reader = iter_array if self._sniffed.layout == "array" else iter_lines
        items = reader(
            self._path, gzip_stream=self._sniffed.gzip, start=start, broken=broken.append
        )
        chunk: list[Item] = []
        # Lines that cannot be read are reported with the chunk they come before: should
        # that chunk restart the read, those after the restart point will be read again.
        unreadable: list[Item] = []
        last = start
        malformed_before = self._report.malformed
        try:
            for item in items:
                last = item.number
                if item.text is None:
                    unreadable.append(item)
                    continue
                chunk.append(item)
                if len(chunk) < self._batch_rows:
                    continue
                restart = yield from self._slow_chunk(plan, chunk, start)
                self._unreadable(unreadable, restart)
                chunk, unreadable = [], []
                if restart is not None:
                    return _Outcome("restart", restart=restart)
                if self._report.malformed > malformed_before and last - start >= window:
                    return _Outcome("paused", last)
            restart = (yield from self._slow_chunk(plan, chunk, start)) if chunk else None
            self._unreadable(unreadable, restart)
            if restart is not None:
                return _Outcome("restart", restart=restart)
        finally:
            items.close()
        for reason in broken:
            self._report.warn(None, reason)
        return _DONE

    def _unreadable(self, items: Sequence[Item], restart: Restart | None) -> None:
        for item in items:
            if restart is None or item.number <= restart.start:
                self._report.bad(item.number, item.problem or "unreadable")

    def _slow_chunk(
        self, plan: LinePlan, chunk: Sequence[Item], start: int
    ) -> Generator[LogBatch, None, Restart | None]:
        table = pa.table(
            {
                "record": pa.array([item.number for item in chunk], pa.int64()),
                "line": pa.array([item.text for item in chunk], pa.string()),
            }
        )
        self._con.register(_CHUNK_TABLE, table)
        try:
            query = plan.query(f"SELECT record, line FROM {_CHUNK_TABLE}", safe=True)
            try:
                raws = list(stream(self._con, query, self._batch_rows))
            except duckdb.Error:
                if len(chunk) == 1:
                    self._report.bad(chunk[0].number, "DuckDB cannot parse this record")
                    return None
                # Something the safe query still cannot take: halve the chunk until it is
                # down to the lines at fault.
                middle = len(chunk) // 2
                for part in (chunk[:middle], chunk[middle:]):
                    restart = yield from self._slow_chunk(plan, part, start)
                    if restart is not None:
                        return restart
                return None
        finally:
            self._con.unregister(_CHUNK_TABLE)
        for raw in raws:
            batch, restart = self._finish(plan, raw, start)
            if batch is not None:
                yield batch
            if restart is not None:
                return restart
        return None

    def _finish(
        self, plan: LinePlan, raw: pa.RecordBatch, start: int
    ) -> tuple[LogBatch | None, Restart | None]:
        """The batch that goes out of ``raw``, and a restart when a row asks for one.

        A restart must move forward (after ``start``): a header that keeps changing on the
        same line would otherwise be read forever.
        """
        rows = raw.num_rows
        cut, restart = rows, None
        if plan.check is not None:
            # Check restarts widen the fields read, which can happen only so often: they
            # need not move forward.
            found = plan.check(raw)
            if found is not None:
                cut, restart = found
        kinds = raw.column("_kind")
        keep: np.ndarray | None = None
        if kinds.null_count != rows:
            keep = np.ones(rows, dtype=bool)
            records = raw.column("record")
            texts = raw.column("_text")
            for index in np.flatnonzero(kinds.is_valid().to_numpy(zero_copy_only=False)):
                if index >= cut:
                    break
                kind = kinds[index].as_py()
                if kind == OBJECT:
                    continue
                keep[index] = False
                if kind == BLANK:
                    continue
                record = int(records[index].as_py())
                text = texts[index].as_py() or ""
                if kind == HEADER:
                    if plan.header is not None and not _follows_header(kinds, int(index)):
                        block = _header_block(kinds, texts, int(index))
                        complete = int(index) + len(block) < rows
                        asked = plan.header(record, block, complete)
                        if asked is not None and asked.start > start:
                            cut, restart = int(index), asked
                            break
                    continue
                self._report.bad(record, _Reason(plan, kind, text))
        if cut < rows:
            keep = np.ones(rows, dtype=bool) if keep is None else keep
            keep[cut:] = False
        good = raw if keep is None else raw.filter(pa.array(keep))
        fields = plan.projection.fields
        good = good.select([*RECORD_COLUMNS, *(spec.name for spec in fields)])
        if plan.post is not None and good.num_rows:
            good = plan.post(good)
        return self._emit(fields, good), restart

    # ----------------------------------------------------------------- CSV and Parquet

    def _csv(self) -> Iterator[LogBatch]:
        mapping = self._mapping
        if mapping is None:
            self._report.warn(None, "CSV needs a column mapping")
            return
        columns = mapping.columns
        for table, names in read_csv_rows(
            self._path,
            gzip_stream=self._sniffed.gzip,
            columns=columns,
            batch_rows=self._batch_rows,
            bad=self._report.bad,
            warn=self._report.warn,
        ):
            projection = mapping_projection(mapping, _CsvColumns(columns, names).text_of)
            self._con.register(_ROWS_TABLE, table)
            try:
                query = f"SELECT record, {projection.select()} FROM {_ROWS_TABLE}"
                raws = list(stream(self._con, query, self._batch_rows))
            finally:
                self._con.unregister(_ROWS_TABLE)
            for raw in raws:
                batch = self._emit(projection.fields, raw)
                if batch is not None:
                    yield batch

    def _parquet(self) -> Iterator[LogBatch]:
        try:
            columns = self._parquet_columns or read_columns(self._con, self._path)
            query, fields = parquet_query(self._path, columns, self._mapping)
            if self._mapping is not None:
                for column in self._mapping.columns:
                    if column not in columns:
                        self._report.warn(
                            None, f"column {column!r} named in the CSV mapping is not in the file"
                        )
            for raw in stream(self._con, query, self._batch_rows):
                batch = self._emit(fields, raw)
                if batch is not None:
                    yield batch
        except duckdb.Error as exc:
            self._report.warn(None, f"cannot read the Parquet file: {exc}")

    def _emit(self, fields: tuple[FieldSpec, ...], table: pa.RecordBatch) -> LogBatch | None:
        if not table.num_rows:
            return None
        schema = batch_schema(fields, table.schema.field("context").type)
        if table.schema != schema:
            table = table.cast(schema)
        self._report.records += table.num_rows
        return LogBatch(self._path, self._sniffed.format, fields, table)


def _follows_header(kinds: pa.Array, index: int) -> bool:
    """Whether the row before ``index`` is a header line too (its block was seen with it)."""
    return index > 0 and kinds[index - 1].as_py() == HEADER


def _header_block(kinds: pa.Array, texts: pa.Array, index: int) -> list[str]:
    """The texts of the run of header lines that starts at row ``index``."""
    block: list[str] = []
    while index < len(kinds) and kinds[index].as_py() == HEADER:
        block.append(texts[index].as_py() or "")
        index += 1
    return block


class _CsvColumns:
    """The internal names (``c0``...) of the mapped CSV columns a file has."""

    def __init__(self, columns: Sequence[str], present: Sequence[str]) -> None:
        self._columns = tuple(columns)
        self._present = frozenset(present)

    def text_of(self, column: str) -> str | None:
        internal = f"c{self._columns.index(column)}"
        return internal if internal in self._present else None


class _Reason:
    """A malformed record's reason, worked out only if the record is quoted."""

    __slots__ = ("_kind", "_plan", "_text")

    def __init__(self, plan: LinePlan, kind: str, text: str) -> None:
        self._plan, self._kind, self._text = plan, kind, text

    def __call__(self) -> str:
        return self._plan.describe(self._kind, self._text)
