"""Hit output: one JSON object per hit (JSON Lines) or one Parquet row per hit.

Both writers are streaming: ``write`` takes the hits of one batch and puts them out (Parquet
keeps at most one row group of them in memory), so a run that finds millions of hits needs no
more memory than one that finds none. The only I/O is on the stream or file each is handed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from os import PathLike
from types import TracebackType
from typing import Any, BinaryIO, Final, Self

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from entente.matching.model import Hit
from entente.stix import format_timestamp_us

__all__ = [
    "HIT_SCHEMA",
    "JsonLinesHitWriter",
    "ParquetHitWriter",
    "hit_to_json",
    "hit_ts_us",
]

# The instants a STIX timestamp (and a Python datetime) can say: years 0001 to 9999 UTC.
_MIN_US: Final = -62_135_596_800 * 1_000_000
_MAX_US: Final = 253_402_300_799_999_999

HIT_SCHEMA: Final = pa.schema(
    [
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("source", pa.string(), nullable=False),
        pa.field("record", pa.int64(), nullable=False),
        pa.field("log", pa.string()),
        pa.field("field", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("matched", pa.string(), nullable=False),
        pa.field("indicator_id", pa.string(), nullable=False),
        pa.field("indicator_name", pa.string()),
        pa.field("labels", pa.list_(pa.string()), nullable=False),
        pa.field("score", pa.int32()),
        # The record's correlation fields as JSON object text: their keys differ by log.
        pa.field("context", pa.string()),
    ]
)
"""The fixed schema of a Parquet hit file (one row per hit, in the order written)."""

_ROW_GROUP_ROWS: Final = 65_536


def hit_ts_us(hit: Hit) -> int | None:
    """The hit's record time in epoch microseconds; ``None`` if it has none or an absurd one."""
    ts = hit.ts
    if ts is None or not math.isfinite(ts):
        return None
    micros = round(ts * 1_000_000)
    return micros if _MIN_US <= micros <= _MAX_US else None


def hit_to_json(hit: Hit) -> dict[str, Any]:
    """One hit as a JSON object; ``ts`` is ISO-8601 UTC with microseconds, or null."""
    micros = hit_ts_us(hit)
    return {
        "ts": None if micros is None else format_timestamp_us(micros),
        "source": hit.source,
        "record": hit.record,
        "log": hit.log,
        "field": hit.field,
        "value": hit.value,
        "kind": hit.kind,
        "matched": hit.matched,
        "indicator_id": hit.indicator_id,
        "indicator_name": hit.indicator_name,
        "labels": list(hit.labels),
        "score": hit.score,
        "context": hit.context,
    }


class JsonLinesHitWriter:
    """Writes hits as JSON Lines (one ``hit_to_json`` object per line) to a binary stream.

    The stream stays the caller's: ``close`` flushes it and leaves it open (it may be stdout).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.written = 0

    def write(self, hits: Sequence[Hit]) -> None:
        """Write ``hits``, one line each."""
        if not hits:
            return
        lines = b"".join(orjson.dumps(hit_to_json(hit)) + b"\n" for hit in hits)
        self._stream.write(lines)
        self.written += len(hits)

    def close(self) -> None:
        """Flush what was written."""
        self._stream.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ParquetHitWriter:
    """Writes hits to a Parquet file with ``HIT_SCHEMA``, one row group per 64 Ki hits.

    The file is created when the writer is; ``close`` completes it (with no hits, it is a valid
    file with the schema and no rows).
    """

    def __init__(self, path: str | PathLike[str], *, row_group_rows: int = _ROW_GROUP_ROWS) -> None:
        self._writer = pq.ParquetWriter(path, HIT_SCHEMA, compression="zstd")
        self._row_group_rows = row_group_rows
        self._pending: list[Hit] = []
        self._closed = False
        self.written = 0

    def write(self, hits: Sequence[Hit]) -> None:
        """Add ``hits``; a full row group is written out at once."""
        self._pending.extend(hits)
        self.written += len(hits)
        while len(self._pending) >= self._row_group_rows:
            chunk = self._pending[: self._row_group_rows]
            del self._pending[: self._row_group_rows]
            self._flush(chunk)

    def _flush(self, hits: Sequence[Hit]) -> None:
        if hits:
            self._writer.write_table(_table(hits), row_group_size=len(hits))

    def close(self) -> None:
        """Write what is pending and complete the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._flush(self._pending)
            self._pending = []
        finally:
            self._writer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _table(hits: Sequence[Hit]) -> pa.Table:
    """``hits`` as one table with ``HIT_SCHEMA``."""
    columns = {
        "ts": [hit_ts_us(h) for h in hits],
        "source": [h.source for h in hits],
        "record": [h.record for h in hits],
        "log": [h.log for h in hits],
        "field": [h.field for h in hits],
        "value": [h.value for h in hits],
        "kind": [h.kind for h in hits],
        "matched": [h.matched for h in hits],
        "indicator_id": [h.indicator_id for h in hits],
        "indicator_name": [h.indicator_name for h in hits],
        "labels": [list(h.labels) for h in hits],
        "score": [h.score for h in hits],
        "context": [None if h.context is None else orjson.dumps(h.context).decode() for h in hits],
    }
    return pa.Table.from_pydict(columns, schema=HIT_SCHEMA)
