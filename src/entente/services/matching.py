"""Matching use cases: the node's active indicators against log files, and retro-hunts.

``MatchService.match`` reads log files (``entente.matching.sources``), matches every batch with
the active indicators, hands the hits to a sink as they come, and optionally stores one STIX
sighting per indicator hit (``entente.matching.sightings``) through the ingest service, so the
sightings pass the same validation as anything else stored, with provenance
``SourceKind.MATCHING``.

The active indicators are the latest version of every stored indicator that the sharing policy
lets this node's own org read (a principal ``local:matching`` of the node org, role analyst,
not an individual: TLP:RED and unknown markings stay out, as for any non-individual reader),
then ``select_active`` (not revoked, inside ``valid_from``/``valid_until``, deployable). When
the latest version is hidden, the indicator is left out rather than an older version used:
an older version may be one its creator has since withdrawn.

Hunting (``MatchService.hunt``) matches an archive of logs again and reports only hits it has
not reported before. Its state (``entente.services.hunt_state``) records, per file, its size
and mtime, the last record read, and the digests (id and compiled terms) of the indicators it
was hunted with: a new version of an indicator that changes what it matches counts as a new
indicator, one that changes only its name or confidence does not. Then:

- a new file, or one rewritten in place, is matched with every active indicator;
- a file that only grew (appended, or merely touched: at least as large as before, and blocks
  sampled over its old extent hash as they did) is matched with every active indicator, and a
  hit is reported if its indicator is new to that file or its record lies after the last
  record read before;
- an unchanged file (same size and mtime) is matched only with the indicators new to it, and is
  not read at all when there are none.

Afterwards every file hunted records the current digests; a file no reader knows is reported
and left out, so it is looked at again next time. Files of the state that are neither
in this archive nor on disk any more are forgotten; files still on disk but outside this
archive keep their entry. ``since_us`` skips files last modified before it (they keep their
entry, so a later hunt without it still covers them) and hits whose record time is older
(those are not reported later either, unless their file is rewritten); the report counts them.
``reset`` forgets every earlier hunt first (the state's files and digest sets), so that hunt
reports every hit again, as the first one did.

Both apply the node's warninglists as exports do (``entente.matching.suppression``): a term
whose value is on a list (``google.com`` on the Tranco top sites) neither goes to the hit sink
nor becomes a sighting; the report counts its hits per value, with the lists that name it
(those inside the window: the count of hits before ``since`` is of ordinary ones only).
``warninglists=False`` matches every term as it is. The hunt state records indicators, not
lists: hits held back by a value that is allowed later are found again after a ``reset``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Protocol

from entente.clock import Clock
from entente.errors import InvalidInput, UnsupportedFormat
from entente.ingest import Candidate
from entente.matching.indicators import select_active
from entente.matching.model import (
    Hit,
    IndicatorSet,
    LogBatch,
    Malformed,
    NotDeployable,
    Term,
)
from entente.matching.reports import FileResult
from entente.matching.sightings import SightingAggregator
from entente.matching.sources import CsvMapping, FileReport, LogReader, expand_paths, open_logs
from entente.matching.suppression import HitFilter, SuppressedTally, SuppressedValue
from entente.scoring import WarninglistSet
from entente.services.hunt_state import (
    FileState,
    HuntState,
    digest_set_id,
    forget_gone,
    indicator_digest,
    load_state,
    prefix_hash,
    save_state,
)
from entente.services.ingest import IngestService
from entente.services.match_runs import run_record
from entente.services.tokens import org_identity_id
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal, Role
from entente.stix import Tlp
from entente.store import (
    MatchRunStore,
    ObjectQuery,
    ObjectStore,
    Provenance,
    SourceKind,
    VersionFilter,
)

__all__ = [
    "MATCHING_PRINCIPAL",
    "FileMatcher",
    "HitSink",
    "HuntReport",
    "IndicatorHits",
    "MatchReport",
    "MatchService",
    "Matcher",
    "MatcherFactory",
    "ProgressEvent",
]

MATCHING_PRINCIPAL: Final = "local:matching"
"""Who reads the indicators for matching: the node's own org, as a non-individual analyst."""

_MATCH_SOURCE: Final = "entente match"
_HUNT_SOURCE: Final = "entente hunt"


class Matcher(Protocol):
    """Matches log batches with one indicator set (``entente.matching.engine.Engine``)."""

    def match(self, batch: LogBatch) -> list[Hit]:
        """Every hit in ``batch``."""
        ...


MatcherFactory = Callable[[IndicatorSet], Matcher]


class FileMatcher(Protocol):
    """Reads and matches whole files elsewhere (``entente.matching.spark.SparkMatcher``): per
    file, the report and hits the local reader and engine give."""

    def match_files(
        self,
        paths: Sequence[str],
        indicators: IndicatorSet,
        *,
        log_format: str | None = None,
        csv_mapping: CsvMapping | None = None,
        batch_rows: int = 65_536,
    ) -> list[FileResult]:
        """Every file's result, in file order."""
        ...


HitSink = Callable[[Sequence[Hit]], None]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Where a run stands: files and bytes of completed files, records read, hits found."""

    files_total: int
    files_done: int
    bytes_total: int
    bytes_done: int
    records: int
    hits: int
    # The file being read; ``None`` once the run is done.
    source: str | None


@dataclass(frozen=True, slots=True)
class IndicatorHits:
    """How many hits one indicator had in a run."""

    id: str
    name: str | None
    hits: int

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {"id": self.id, "name": self.name, "hits": self.hits}


@dataclass(frozen=True, slots=True)
class MatchReport:
    """What a matching run read and found."""

    files: tuple[FileReport, ...]
    # Active, deployable indicators the run matched with.
    indicators: int
    records: int
    hits: int
    # Most hits first, then by id.
    by_indicator: tuple[IndicatorHits, ...]
    not_deployable: tuple[NotDeployable, ...]
    # Ids of the sightings stored, and why any was not (a bug if it ever happens).
    sightings: tuple[str, ...]
    sighting_rejections: tuple[str, ...]
    # The whole run, and the part spent reading and matching the logs.
    seconds: float
    scan_seconds: float
    # Hits held back because their term is warninglisted, per value (most hits first), and
    # whether the warninglists were applied at all.
    suppressed: tuple[SuppressedValue, ...] = ()
    warninglists: bool = True
    # Hits left out because their record is older than ``since``.
    skipped_old_hits: int = 0

    @property
    def suppressed_hits(self) -> int:
        """Hits held back by the warninglists, over every value."""
        return sum(item.hits for item in self.suppressed)

    @property
    def malformed(self) -> int:
        """Records that could not be read, over every file."""
        return sum(report.malformed for report in self.files)

    @property
    def records_per_second(self) -> float | None:
        """Records read and matched per second; ``None`` when that took no measurable time."""
        return self.records / self.scan_seconds if self.scan_seconds > 0 else None

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON document."""
        return {
            "files": [_file_json(report) for report in self.files],
            "indicators": self.indicators,
            "records": self.records,
            "malformed": self.malformed,
            "hits": self.hits,
            "indicators_hit": len(self.by_indicator),
            "by_indicator": [item.to_json() for item in self.by_indicator],
            "not_deployable": [
                {"id": n.id, "name": n.name, "pattern": n.pattern, "reason": n.reason}
                for n in self.not_deployable
            ],
            "sightings": list(self.sightings),
            "sighting_rejections": list(self.sighting_rejections),
            "warninglists": self.warninglists,
            "suppressed_hits": self.suppressed_hits,
            "suppressed": [item.to_json() for item in self.suppressed],
            "skipped_old_hits": self.skipped_old_hits,
            "seconds": round(self.seconds, 6),
            "scan_seconds": round(self.scan_seconds, 6),
            "records_per_second": (
                None if self.records_per_second is None else round(self.records_per_second, 1)
            ),
        }


@dataclass(frozen=True, slots=True)
class HuntReport:
    """What a retro-hunt did: the run's report and how each archive file was treated."""

    run: MatchReport
    new_files: int  # never hunted, or rewritten since: matched with every indicator
    grown_files: int  # appended or touched: new records and new indicators only
    unchanged_files: int  # matched with the indicators new to them only (or not read)
    skipped_files: int  # last modified before ``since``
    # Active indicators no earlier hunt had matched with (on any file).
    new_indicators: int
    state: str
    # With ``reset``: how many file entries of earlier hunts were forgotten; ``None`` without.
    forgotten_files: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON document: the run's keys plus the hunt's."""
        return {
            **self.run.to_json(),
            "new_files": self.new_files,
            "grown_files": self.grown_files,
            "unchanged_files": self.unchanged_files,
            "skipped_files": self.skipped_files,
            "new_indicators": self.new_indicators,
            "state": self.state,
            "reset": self.forgotten_files is not None,
            "forgotten_files": self.forgotten_files,
        }


def _file_json(report: FileReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "format": report.format,
        "records": report.records,
        "malformed": report.malformed,
        "examples": [{"where": m.where(), "reason": m.reason} for m in report.examples],
        "warnings": [{"where": m.where(), "reason": m.reason} for m in report.warnings],
        "size_bytes": report.size_bytes,
    }


@dataclass(slots=True)
class _Plan:
    """One file to read, the matcher to read it with, and which of its hits are new."""

    path: str
    size: int
    # None when the files are matched elsewhere (a ``FileMatcher``).
    matcher: Matcher | None
    # Reported hits: those whose indicator digest is not in ``known``, or whose record is after
    # ``after_record``; ``known=None`` reports every hit.
    known: frozenset[str] | None = None
    after_record: int = 0


@dataclass(frozen=True, slots=True)
class _RunScope:
    """What the caller of ``match`` or ``hunt`` chose for the run's hits."""

    since_us: int | None
    hit_sink: HitSink | None
    progress: Callable[[ProgressEvent], None] | None
    # Whether warninglists and allowed values suppress hits.
    warninglists: bool


@dataclass(slots=True)
class _Run:
    """The counters, aggregate and callbacks of one run across its files."""

    indicators: IndicatorSet
    plans: dict[str, _Plan]
    since_us: int | None
    hit_sink: HitSink | None
    progress: Callable[[ProgressEvent], None] | None
    aggregator: SightingAggregator
    hit_filter: HitFilter
    suppressed: SuppressedTally
    digests: dict[str, str] = field(default_factory=dict)
    scan_started: int = 0
    done: set[str] = field(default_factory=set)
    bytes_done: int = 0
    records: int = 0
    hits: int = 0
    too_old: int = 0
    tally: Counter[str] = field(default_factory=Counter)
    reports: list[FileReport] = field(default_factory=list)

    def notify(self, source: str | None) -> None:
        """Tell the progress callback where the run stands."""
        if self.progress is not None:
            self.progress(
                ProgressEvent(
                    files_total=len(self.plans),
                    files_done=len(self.done),
                    bytes_total=sum(plan.size for plan in self.plans.values()),
                    bytes_done=self.bytes_done,
                    records=self.records,
                    hits=self.hits,
                    source=source,
                )
            )

    def _is_new(self, hit: Hit, plan: _Plan) -> bool:
        if plan.known is None:
            return True
        return self.digests[hit.indicator_id] not in plan.known or hit.record > plan.after_record

    def _is_old(self, hit: Hit) -> bool:
        return self.since_us is not None and hit.ts is not None and hit.ts * 1e6 < self.since_us

    def _keep(self, hits: list[Hit], plan: _Plan) -> list[Hit]:
        """The hits to report: new to this file, not held back by a warninglist, and inside
        the window. Held-back hits inside the window are tallied; ordinary hits before it are
        counted, so the summary can say what ``since`` left out (a warninglisted hit before
        it is neither: it would not have been reported anyway)."""
        ordinary, held = self.hit_filter.split([hit for hit in hits if self._is_new(hit, plan)])
        self.suppressed.add((hit, term) for hit, term in held if not self._is_old(hit))
        kept = [hit for hit in ordinary if not self._is_old(hit)]
        self.too_old += len(ordinary) - len(kept)
        return kept

    def _finished(self, path: str) -> None:
        if path not in self.done:
            self.done.add(path)
            self.bytes_done += self.plans[path].size
            self.notify(path)

    def consume(self, reader: LogReader) -> dict[str, int]:
        """Read every batch of ``reader``; returns the last record position read per file.

        The reader reads its files one after the other, so a batch of a new file means the
        previous one is complete.
        """
        last: dict[str, int] = {}
        current: str | None = None
        for batch in reader:
            if batch.source != current:
                if current is not None:
                    self._finished(current)
                current = batch.source
                self.notify(current)
            plan = self.plans[batch.source]
            self.records += batch.num_rows
            if batch.num_rows:
                positions = batch.table.column("record").to_pylist()
                last[batch.source] = max([last.get(batch.source, 0), *positions])
            if plan.matcher is None:
                raise TypeError(f"{batch.source}: planned without a matcher")
            self._take(self._keep(plan.matcher.match(batch), plan))
            self.notify(current)
        for path in reader.files:
            self._finished(path)
        self.reports.extend(reader.reports())
        return last

    def _take(self, kept: list[Hit]) -> None:
        """Count, aggregate and hand on the hits to report."""
        if kept:
            self.hits += len(kept)
            self.tally.update(hit.indicator_id for hit in kept)
            self.aggregator.add(kept)
            if self.hit_sink is not None:
                self.hit_sink(kept)

    def consume_results(self, results: Sequence[FileResult]) -> None:
        """Take files matched elsewhere as ``consume`` takes the batches it matches itself."""
        for result in results:
            self.plans.setdefault(
                result.source, _Plan(result.source, result.report.size_bytes, None)
            )
        for result in results:
            self.notify(result.source)
            self.records += result.report.records
            self._take(self._keep(list(result.hits), self.plans[result.source]))
            self._finished(result.source)
        self.reports.extend(result.report for result in results)

    def unreadable(self, path: str, reason: str) -> None:
        """A file no reader knows: reported with the reason, not read."""
        size = self.plans[path].size
        warning = Malformed(path, None, reason)
        self.reports.append(FileReport(path, "unsupported", 0, 0, (), size, (warning,)))
        self._finished(path)

    def by_indicator(self) -> tuple[IndicatorHits, ...]:
        """Hits per indicator, most first."""
        names = {i.id: i.name for i in self.indicators.indicators}
        ranked = sorted(self.tally.items(), key=lambda item: (-item[1], item[0]))
        return tuple(IndicatorHits(i, names.get(i), n) for i, n in ranked)


class MatchService:
    """Matches logs with the node's active indicators; see the module docstring."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        clock: Clock,
        org_name: str,
        default_marking: Tlp,
        context: Callable[[], NodeContext],
        matcher_factory: MatcherFactory,
        hunt_state: Path,
        warninglists: Callable[[], WarninglistSet],
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        batch_rows: int = 65_536,
        threads: int = 1,
        runs: MatchRunStore | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._org = org_identity_id(org_name)
        self._default_marking = default_marking
        self._context = context
        self._matcher_factory = matcher_factory
        self._hunt_state = hunt_state
        self._warninglists = warninglists
        self._new_id = new_id
        self._batch_rows = batch_rows
        self._threads = threads
        # Where each finished run's bounded report goes (``services.match_runs``); None keeps
        # no log (tests of the matching itself).
        self._runs = runs

    @property
    def org_id(self) -> str:
        """The observing org: the node's org identity id."""
        return self._org

    def active_indicators(self) -> IndicatorSet:
        """The active indicators the node's own org may read; see the module docstring."""
        reader = Principal(
            id=MATCHING_PRINCIPAL, org=self._org, role=Role.ANALYST, is_individual=False
        )
        visibility = Visibility(reader, self._context())
        query = ObjectQuery(types=("indicator",), versions=(VersionFilter.LAST.value,), limit=1000)
        # What the policy releases to the node's own org: content under a granular marking it
        # may not see (TLP:RED, unknown markings) is left out, or the indicator withheld.
        readable = (
            release.version.to_json()
            for v in self._store.iter_all(query)
            if (release := visibility.release(v)) is not None
        )
        return select_active(readable, self._clock.now_us())

    def listed_terms(self, indicators: IndicatorSet) -> dict[Term, tuple[str, ...]]:
        """The terms of ``indicators`` a warninglist names, with the list's name: looked up
        term by term as exports look up their items (``ExportService``), allowed values
        included."""
        lists = self._warninglists()
        listed: dict[Term, tuple[str, ...]] = {}
        for indicator in indicators.indicators:
            for term in indicator.terms:
                if term not in listed and (
                    hit := lists.match(term.kind.value, term.op.value, term.value)
                ):
                    listed[term] = (hit.list_name,)
        return listed

    def _start_run(
        self,
        indicators: IndicatorSet,
        plans: dict[str, _Plan],
        scope: _RunScope,
        *,
        digests: dict[str, str] | None = None,
    ) -> _Run:
        """A run of ``match`` or ``hunt`` over ``plans``, its scan starting now."""
        hit_filter, tally = self._suppression(indicators, scope.warninglists)
        run = _Run(
            indicators=indicators,
            plans=plans,
            since_us=scope.since_us,
            hit_sink=scope.hit_sink,
            progress=scope.progress,
            aggregator=SightingAggregator(indicators.indicators),
            hit_filter=hit_filter,
            suppressed=tally,
            digests=digests if digests is not None else {},
        )
        run.scan_started = self._clock.now_us()
        return run

    def _suppression(
        self, indicators: IndicatorSet, apply: bool
    ) -> tuple[HitFilter, SuppressedTally]:
        listed = self.listed_terms(indicators) if apply else {}
        return HitFilter(indicators, listed), SuppressedTally(listed)

    def match(
        self,
        paths: Sequence[str],
        *,
        principal: str,
        log_format: str | None = None,
        csv_mapping: CsvMapping | None = None,
        hit_sink: HitSink | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        sightings: bool = False,
        since_us: int | None = None,
        warninglists: bool = True,
        file_matcher: FileMatcher | None = None,
    ) -> MatchReport:
        """Match log files (paths, directories, globs) with the active indicators.

        ``hit_sink`` receives the hits batch by batch; ``since_us`` drops hits whose record is
        older; ``sightings`` stores one sighting per indicator hit, recorded as put there by
        ``principal``; ``warninglists`` holds back the hits of warninglisted terms (module
        docstring). ``file_matcher`` reads and matches the files elsewhere (Spark) instead of
        here; what follows (warninglists, sink, sightings, report) is the same.
        """
        started = self._clock.now_us()
        indicators = self.active_indicators()
        scope = _RunScope(since_us, hit_sink, progress, warninglists)
        if file_matcher is not None:
            run = self._start_run(indicators, {}, scope)
            results = file_matcher.match_files(
                paths,
                indicators,
                log_format=log_format,
                csv_mapping=csv_mapping,
                batch_rows=self._batch_rows,
            )
            run.consume_results(results)
        else:
            reader = open_logs(
                paths,
                log_format=log_format,
                csv_mapping=csv_mapping,
                batch_rows=self._batch_rows,
                threads=self._threads,
            )
            matcher = self._matcher_factory(indicators)
            plans = {path: _Plan(path, _size_of(path), matcher) for path in reader.files}
            run = self._start_run(indicators, plans, scope)
            with reader:
                run.consume(reader)
        report = self._finish(
            run,
            started=started,
            principal=principal,
            sightings=sightings,
            source=_MATCH_SOURCE,
            warninglists=warninglists,
        )
        self._record("match", report.to_json(), started)
        return report

    def hunt(
        self,
        archive: Sequence[str],
        *,
        principal: str,
        since_us: int | None = None,
        hit_sink: HitSink | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        sightings: bool = True,
        warninglists: bool = True,
        reset: bool = False,
    ) -> HuntReport:
        """Match the archive again, reporting only hits not reported by earlier hunts.

        Each file is read on its own, with the indicators and the filter its state calls for
        (module docstring); a file no reader knows is reported and left out of the state, so
        it is looked at again next time. ``reset`` forgets every earlier hunt first.
        """
        if not archive:
            raise InvalidInput("no archive to hunt: name one (ENTENTE_HUNT_ARCHIVE or --archive)")
        started = self._clock.now_us()
        state = load_state(self._hunt_state)
        forgotten: int | None = None
        if reset:
            # Every entry goes, those of files outside this archive too: "what was reported
            # before" is the whole state, and a partial reset would leave hits unreported.
            forgotten = len(state.files)
            state = HuntState()
        indicators = self.active_indicators()
        digests = {i.id: indicator_digest(i) for i in indicators.indicators}
        current = frozenset(digests.values())
        files = list(dict.fromkeys(str(Path(p).resolve()) for p in expand_paths(archive)))
        planner = _HuntPlanner(state, indicators, digests, self._matcher_factory, since_us)
        plans = [planned for path in files if (planned := planner.plan(path)) is not None]
        run = self._start_run(
            indicators,
            {plan.path: plan for plan, _ in plans},
            _RunScope(since_us, hit_sink, progress, warninglists),
            digests=digests,
        )
        for plan, entry in plans:
            try:
                with open_logs(
                    [plan.path], batch_rows=self._batch_rows, threads=self._threads
                ) as reader:
                    last = run.consume(reader).get(plan.path, 0)
            except UnsupportedFormat as exc:
                run.unreadable(plan.path, str(exc))
                continue
            entry.last_record = max(entry.last_record, last)
            state.files[plan.path] = entry
        report = self._finish(
            run,
            started=started,
            principal=principal,
            sightings=sightings,
            source=_HUNT_SOURCE,
            warninglists=warninglists,
        )
        state.digest_sets[planner.current_set] = current
        forget_gone(state, set(files))
        save_state(self._hunt_state, state)
        hunted = HuntReport(
            run=report,
            new_files=planner.counts["new"],
            grown_files=planner.counts["grown"],
            unchanged_files=planner.counts["unchanged"],
            skipped_files=planner.counts["skipped"],
            new_indicators=len(current - planner.known_before),
            state=str(self._hunt_state),
            forgotten_files=forgotten,
        )
        self._record("hunt", hunted.to_json(), started)
        return hunted

    def _record(self, kind: str, report: dict[str, Any], started_us: int) -> None:
        """Keep the finished run in the run log, once its sightings and state are stored."""
        if self._runs is not None:
            finished = self._clock.now_us()
            self._runs.add(run_record(kind, report, started_us=started_us, finished_us=finished))

    def _finish(
        self,
        run: _Run,
        *,
        started: int,
        principal: str,
        sightings: bool,
        source: str,
        warninglists: bool,
    ) -> MatchReport:
        scanned = self._clock.now_us()
        run.notify(None)
        stored: tuple[str, ...] = ()
        rejections: tuple[str, ...] = ()
        if sightings and len(run.aggregator):
            stored, rejections = self._store_sightings(run.aggregator, principal, source)
        return MatchReport(
            files=tuple(run.reports),
            indicators=len(run.indicators.indicators),
            records=run.records,
            hits=run.hits,
            by_indicator=run.by_indicator(),
            not_deployable=run.indicators.not_deployable,
            sightings=stored,
            sighting_rejections=rejections,
            seconds=max(0, self._clock.now_us() - started) / 1e6,
            scan_seconds=max(0, scanned - run.scan_started) / 1e6,
            suppressed=run.suppressed.values(),
            warninglists=warninglists,
            skipped_old_hits=run.too_old,
        )

    def _store_sightings(
        self, aggregator: SightingAggregator, principal: str, source: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Store the run's sightings through the ingest service (validation applies)."""
        rendered = aggregator.render(
            observer_org=self._org,
            default_marking=self._default_marking,
            clock=self._clock,
            new_id=self._new_id,
        )
        candidates = [Candidate(source, f"[{i}]", s) for i, s in enumerate(rendered)]
        provenance = Provenance(SourceKind.MATCHING, source, principal)
        ingest = IngestService(self._store, self._clock, principal=principal)
        summary = ingest.ingest_candidates(candidates, provenance, source=source)
        failed = {r.position for r in summary.rejected}
        stored = tuple(s["id"] for i, s in enumerate(rendered) if f"[{i}]" not in failed)
        if any(not r.position for r in summary.rejected):
            stored = ()
        return stored, tuple(f"{r.id or r.position}: {r.reason}" for r in summary.rejected)


class _HuntPlanner:
    """Decides, from the hunt state, how each archive file is read (module docstring)."""

    def __init__(
        self,
        state: HuntState,
        indicators: IndicatorSet,
        digests: dict[str, str],
        matcher_factory: MatcherFactory,
        since_us: int | None,
    ) -> None:
        self._state = state
        self._indicators = indicators
        self._digests = digests
        self._factory = matcher_factory
        self._since_us = since_us
        self._full: Matcher | None = None
        self._partial: dict[str, Matcher | None] = {}
        self.current_set = digest_set_id(digests.values())
        self.known_before: frozenset[str] = frozenset().union(*state.digest_sets.values())
        self.counts: Counter[str] = Counter()

    def _all(self) -> Matcher:
        if self._full is None:
            self._full = self._factory(self._indicators)
        return self._full

    def _fresh(self, set_id: str, known: frozenset[str]) -> Matcher | None:
        """A matcher of the indicators not in ``known``; ``None`` if there are none."""
        if set_id not in self._partial:
            indicators = self._indicators.indicators
            fresh = tuple(i for i in indicators if self._digests[i.id] not in known)
            self._partial[set_id] = self._factory(IndicatorSet(fresh)) if fresh else None
        return self._partial[set_id]

    def plan(self, path: str) -> tuple[_Plan, FileState] | None:
        """How to read ``path`` and its state entry after; ``None`` when it is not read."""
        try:
            stat = Path(path).stat()
        except OSError as exc:
            raise InvalidInput(f"{path}: {exc.strerror or exc}") from exc
        if self._since_us is not None and stat.st_mtime_ns // 1000 < self._since_us:
            self.counts["skipped"] += 1
            return None
        size = stat.st_size
        entry = FileState(size, stat.st_mtime_ns, prefix_hash(path, size), 0, self.current_set)
        prev = self._state.files.get(path)
        known = self._state.digest_sets.get(prev.hunted) if prev is not None else None
        if prev is None or known is None:
            self.counts["new"] += 1
            return _Plan(path, size, self._all()), entry
        entry.last_record = prev.last_record
        if (prev.size, prev.mtime_ns) == (size, stat.st_mtime_ns):
            self.counts["unchanged"] += 1
            matcher = self._fresh(prev.hunted, known)
            if matcher is None:
                # Hunted with every current indicator already: nothing new can be found.
                self._state.files[path] = replace(prev, hunted=self.current_set)
                return None
            return _Plan(path, size, matcher, known), entry
        if size >= prev.size and prefix_hash(path, prev.size) == prev.prefix:
            self.counts["grown"] += 1
            return _Plan(path, size, self._all(), known, prev.last_record), entry
        # Rewritten in place: its records are not the ones hunted before.
        self.counts["new"] += 1
        entry.last_record = 0
        return _Plan(path, size, self._all()), entry


def _size_of(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0  # the reader reports why it cannot be read
