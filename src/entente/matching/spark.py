"""Matching on Apache Spark: the local reader and Arrow kernel run inside ``mapInArrow``.

Each log file is one unit of work. A Spark task reads it with the same reader the local engine
uses (``sources.LogReader``: DuckDB, the Zeek/EVE/OCSF/CSV/Parquet field maps, the malformed
line accounting) and matches every batch with the same kernel (``engine.Engine``), built once
per Python worker from the compiled indicator set that the driver broadcasts. So a file's hits
and its report are those the local engine gives, by construction (docs/adr/0023-spark-matching.md).

Local paths (a file system every executor sees: local mode, NFS) travel as names; URLs with a
scheme (``s3a://``, ``hdfs://``, ``file://``) are fetched by Spark's own ``binaryFile`` source,
so Hadoop's connectors and ``--conf`` settings (credentials, endpoints) apply, and read from a
private temporary copy on the executor. This is the only module that imports pyspark.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import re
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

import pyarrow as pa
from pyspark import Broadcast
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

from entente import errors
from entente.errors import ConfigurationError, EntenteError, InvalidInput
from entente.matching.csvflows import CsvMapping
from entente.matching.engine import Engine
from entente.matching.model import Hit, IndicatorSet, Malformed
from entente.matching.reports import FileReport, FileResult
from entente.matching.sources import LogReader, open_logs

__all__ = ["SparkMatcher", "is_remote", "parse_conf", "spark_session"]

# A scheme as RFC 3986 §3.1 spells it, then "://": "s3a://bucket/key", "file:///tmp/x".
_URL: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_RESULT_SCHEMA: Final = "source string, kind string, payload binary"
_RESULT_ARROW: Final = pa.schema(
    [("source", pa.string()), ("kind", pa.string()), ("payload", pa.binary())]
)
# Hits per result row: bounds one row's pickle whatever a file's hit count.
_HITS_PER_ROW: Final = 10_000
# Settings for a ``local[...]`` master: no web UI, no console progress bar, and every socket
# on the loopback interface (local mode needs no network).
_LOCAL_DEFAULTS: Final = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
_DEFAULTS: Final = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def is_remote(path: str) -> bool:
    """Whether ``path`` is a URL for Spark to fetch (``s3a://...``) rather than a local path."""
    return bool(_URL.match(path))


def parse_conf(items: Sequence[str]) -> dict[str, str]:
    """``key=value`` settings (``--conf``) as a dict; ``InvalidInput`` names a malformed one."""
    conf: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--conf {item!r}: expected key=value")
        conf[key.strip()] = value
    return conf


@contextmanager
def spark_session(master: str, conf: dict[str, str] | None = None) -> Iterator[SparkSession]:
    """A Spark session on ``master``, stopped on exit; one already active in this process (a
    notebook's, a test's) is used as it is and left running.

    ``ConfigurationError`` when Spark cannot start (most often: no Java 17+ on PATH).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    # PySpark starts local Python workers with $PYSPARK_PYTHON (its SparkContext reads no
    # setting for it) and they must import entente and pyarrow: this interpreter, unless the
    # caller chose one.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = dict(_DEFAULTS)
    if master.startswith("local"):
        settings.update(_LOCAL_DEFAULTS)
        # The JVM's own first guess of its address, before it reads any setting.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("entente match")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # PySpark raises plain runtime errors when the JVM will not start
        raise ConfigurationError(
            f"Spark cannot start on {master!r} ({exc}); it needs Java 17 or later on PATH "
            "or in JAVA_HOME"
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@dataclass(frozen=True, slots=True)
class _Job:
    """What every task of a run needs besides the indicators: how to read which files."""

    # Names the broadcast indicator set: a worker's engine built for it serves later runs.
    token: str
    log_format: str | None
    csv_mapping: CsvMapping | None
    batch_rows: int
    # The local files: (source as given, absolute location, found by walking a directory).
    files: tuple[tuple[str, str, bool], ...]


class SparkMatcher:
    """Reads and matches log files on a Spark session with the local reader and kernel."""

    def __init__(self, session: SparkSession) -> None:
        self._session = session
        # The indicator set last broadcast, its token and its broadcast: a later run with the
        # same set (the same object) sends nothing again, and the workers keep their engines.
        self._shared: tuple[IndicatorSet, str, Broadcast[IndicatorSet]] | None = None

    def _broadcast(self, indicators: IndicatorSet) -> tuple[str, Broadcast[IndicatorSet]]:
        """The token and broadcast of ``indicators``, sent once per set."""
        if self._shared is not None:
            cached, token, shared = self._shared
            if cached is indicators:
                return token, shared
            shared.unpersist()
        token = uuid.uuid4().hex
        shared = self._session.sparkContext.broadcast(indicators)
        self._shared = (indicators, token, shared)
        return token, shared

    def match_files(
        self,
        paths: Sequence[str],
        indicators: IndicatorSet,
        *,
        log_format: str | None = None,
        csv_mapping: CsvMapping | None = None,
        batch_rows: int = 65_536,
    ) -> list[FileResult]:
        """Every file's report and hits: local files in ``open_logs`` order, then the files of
        the URLs in path order. Raises what the local reader raises for a file it refuses."""
        local = [path for path in paths if not is_remote(path)]
        remote = [path for path in paths if is_remote(path)]
        # The local reader's own checks and path expansion (directories, globs), on the driver.
        reader = open_logs(
            local, log_format=log_format, csv_mapping=csv_mapping, batch_rows=batch_rows
        )
        order = list(reader.files)
        # Executors open local files by absolute name: their working directory is not ours.
        files = tuple((p, str(Path(p).resolve()), p in reader.walked) for p in order)
        frames: list[DataFrame] = []
        if files:
            # Row i stands for files[i], one per partition: the file is Spark's unit of work
            # (ADR 0023). A JVM range, so no Python task is spent on making the rows.
            numbered = self._session.range(0, len(files), 1, len(files))
            frames.append(
                numbered.select(
                    sf.col("id"),
                    sf.lit(None).cast("string").alias("source"),
                    sf.lit(None).cast("binary").alias("content"),
                )
            )
        if remote:
            found = self._session.read.format("binaryFile").load(remote)
            frames.append(
                found.select(
                    sf.lit(-1).cast("long").alias("id"),
                    sf.col("path").alias("source"),
                    sf.col("content"),
                )
            )
        if not frames:
            return []
        token, shared_indicators = self._broadcast(indicators)
        job = _Job(token, log_format, csv_mapping, batch_rows, files)
        shared = self._session.sparkContext.broadcast(job)
        try:
            work = functools.reduce(DataFrame.unionByName, frames)
            rows_out = work.mapInArrow(
                functools.partial(_match_partition, shared_indicators, shared), _RESULT_SCHEMA
            ).collect()
        finally:
            shared.unpersist()
        return _gather(order, rows_out)


def _gather(order: list[str], rows: Sequence[Any]) -> list[FileResult]:
    """The files' results in file order; the first refusal (in file order) is raised."""
    hits: dict[str, list[Hit]] = {}
    done: dict[str, tuple[FileReport, int]] = {}
    refused: dict[str, tuple[str, str]] = {}
    for row in rows:
        source, kind, payload = row["source"], row["kind"], bytes(row["payload"])
        # Our own executors' pickles of our own frozen dataclasses (ADR 0023: trust boundary).
        value = pickle.loads(payload)
        if kind == "hits":
            hits.setdefault(source, []).extend(value)
        elif kind == "done":
            done[source] = value
        else:
            refused[source] = value
    fetched = sorted((set(done) | set(refused)) - set(order))
    results: list[FileResult] = []
    for source in [*order, *fetched]:
        if source in refused:
            name, message = refused[source]
            error = getattr(errors, name, None)
            if not (isinstance(error, type) and issubclass(error, EntenteError)):
                error = InvalidInput
            raise error(message)
        report, last = done[source]
        results.append(FileResult(report, tuple(hits.get(source, ())), last))
    return results


# One engine per Python worker, kept across its tasks and runs (Spark reuses workers,
# spark.python.worker.reuse): loading the broadcast set and building the engine cost tens of
# seconds for a million indicators. Keyed by the set's token, holding the last set's only. A
# process-wide cache is the one way a task can reach what an earlier task of the same worker
# built; nothing else here keeps state.
_ENGINES: dict[str, Engine] = {}


def _engine(token: str, indicators: Broadcast[IndicatorSet]) -> Engine:
    engine = _ENGINES.get(token)
    if engine is None:
        _ENGINES.clear()
        # PySpark loads a broadcast's value on first use only: a worker that has the engine
        # never reads the set.
        engine = _ENGINES[token] = Engine(indicators.value)
    return engine


def _match_partition(
    indicators: Broadcast[IndicatorSet],
    shared: Broadcast[_Job],
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function: every file of the partition read and matched."""
    job = shared.value
    engine = _engine(job.token, indicators)
    for batch in batches:
        for item in batch.to_pylist():
            if item["id"] >= 0:
                source, location, walked = job.files[item["id"]]
            else:
                # A fetched file no reader knows is reported with a warning, not refused.
                source, location, walked = item["source"], item["source"], True
            rows = _match_file(
                engine, job, source, location, walked=walked, content=item["content"]
            )
            for source, kind, payload in rows:
                yield pa.RecordBatch.from_pydict(
                    {"source": [source], "kind": [kind], "payload": [payload]},
                    schema=_RESULT_ARROW,
                )


def _match_file(
    engine: Engine,
    job: _Job,
    source: str,
    location: str,
    *,
    walked: bool,
    content: bytes | None,
) -> Iterator[tuple[str, str, bytes]]:
    """One file's result rows: its hits in chunks, then its report and last record (``done``),
    or the refusal (``refused``: the error's class name and message). ``content``: the bytes
    Spark fetched, read from a private copy (``location`` is then only its name)."""
    with tempfile.TemporaryDirectory(prefix="entente-spark-") as scratch:
        if content is not None:
            # The file's own name: the readers take the Zeek log and compression from it.
            location = str(Path(scratch) / (PurePosixPath(source).name or "log"))
            Path(location).write_bytes(content)
        reader = LogReader(
            [location],
            log_format=job.log_format,
            csv_mapping=job.csv_mapping,
            batch_rows=job.batch_rows,
            walked=frozenset({location}) if walked else frozenset(),
        )
        pending: list[Hit] = []
        last = 0
        try:
            with reader:
                for batch in reader:
                    if batch.num_rows:
                        records = batch.table.column("record").to_numpy()
                        last = max(last, int(records.max()))
                    pending.extend(engine.match(batch))
                    if len(pending) >= _HITS_PER_ROW:
                        yield source, "hits", _pickled(pending, location, source)
                        pending = []
        except EntenteError as exc:
            message = str(exc).replace(location, source)
            yield source, "refused", pickle.dumps((type(exc).__name__, message))
            return
        if pending:
            yield source, "hits", _pickled(pending, location, source)
        [report] = reader.reports()
        yield source, "done", pickle.dumps((_renamed(report, source), last))


def _pickled(hits: list[Hit], location: str, source: str) -> bytes:
    """``hits`` named by ``source`` (the path as given) rather than where they were read."""
    if location != source:
        hits = [dataclasses.replace(hit, source=source) for hit in hits]
    return pickle.dumps(hits, protocol=pickle.HIGHEST_PROTOCOL)


def _renamed(report: FileReport, source: str) -> FileReport:
    """``report`` with ``source`` for the file's name, in it and in what it quotes."""

    def named(items: tuple[Malformed, ...]) -> tuple[Malformed, ...]:
        return tuple(dataclasses.replace(item, source=source) for item in items)

    return dataclasses.replace(
        report, source=source, examples=named(report.examples), warnings=named(report.warnings)
    )
