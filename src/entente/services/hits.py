"""The "Hits and hunts" page's reads: recent matching runs and what each found (issue 13).

Matching runs are the node's own operations, read by the node org's admins and analysts only
(``services.dashboard.may_see_operations``); anyone else is refused with ``PermissionDenied``.
What a run names is still read through the sharing policy for its reader
(``services.visibility``): an indicator hit is listed, with its name, only when the reader may
see the indicator's latest version, and otherwise left out entirely (not counted, not named);
a suppressed value only when the reader may see one of the indicators that carry it (the
value is part of their patterns); a sighting only when the reader may see it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from entente.services.dashboard import operations_context
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal
from entente.store import MatchRunRecord, MatchRunStore, ObjectQuery, ObjectStore

__all__ = [
    "PAGE_SIZE",
    "HitsService",
    "IndicatorHitRow",
    "RunDetail",
    "RunSummary",
    "RunsPage",
    "SuppressedRow",
]

# Runs per page of the list.
PAGE_SIZE: Final = 25
_OPERATIONS_ONLY = "Matching runs are shown to the admins and analysts of this node's own org."


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run as the list shows it: its kind, times and counts."""

    run_id: int
    kind: str
    started_us: int
    finished_us: int
    files: int
    records: int
    hits: int
    suppressed_hits: int
    sightings: int


@dataclass(frozen=True, slots=True)
class RunsPage:
    """One page of runs, newest first (``page`` counts from 1)."""

    runs: tuple[RunSummary, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class IndicatorHitRow:
    """An indicator the reader may see and its hits in the run."""

    id: str
    name: str | None
    hits: int


@dataclass(frozen=True, slots=True)
class SuppressedRow:
    """A warninglisted value whose hits the run held back, and the lists that name it."""

    kind: str
    value: str
    lists: tuple[str, ...]
    hits: int


@dataclass(frozen=True, slots=True)
class RunDetail:
    """One run as its page shows it to one reader."""

    summary: RunSummary
    # The run's other counts (records malformed, hunt file counts, ...), by name.
    counts: tuple[tuple[str, int], ...]
    warninglists: bool
    indicators: tuple[IndicatorHitRow, ...]
    suppressed: tuple[SuppressedRow, ...]
    sightings: tuple[str, ...]
    # Whether the log kept only the first entries of a list (``services.match_runs``).
    truncated: bool


def _list(report: Mapping[str, Any], key: str) -> list[Any]:
    value = report.get(key)
    return value if isinstance(value, list) else []


def _int(report: Mapping[str, Any], key: str) -> int:
    value = report.get(key)
    return value if isinstance(value, int) else 0


def _is_a(object_id: str, object_type: str) -> bool:
    """Whether ``object_id`` names an object of ``object_type`` (STIX 2.1 §2.9 identifiers):
    an entry of the log is shown only as what it claims to be."""
    return object_id.startswith(f"{object_type}--")


def _summary(record: MatchRunRecord) -> RunSummary:
    report = record.report
    return RunSummary(
        run_id=record.run_id or 0,
        kind=record.kind,
        started_us=record.started_us,
        finished_us=record.finished_us,
        files=_int(report, "files"),
        records=_int(report, "records"),
        hits=_int(report, "hits"),
        suppressed_hits=_int(report, "suppressed_hits"),
        sightings=_int(report, "sightings_total"),
    )


_DETAIL_COUNTS = (
    ("indicators", "Active indicators matched with"),
    ("malformed", "Records that could not be read"),
    ("skipped_old_hits", "Hits older than the run's window"),
    ("new_files", "New or rewritten files"),
    ("grown_files", "Grown files"),
    ("unchanged_files", "Unchanged files"),
    ("skipped_files", "Files last modified before the window"),
    ("new_indicators", "Indicators new to the hunt"),
)


class HitsService:
    """Recent matching runs from the run log, through the sharing policy for each reader."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        runs: MatchRunStore,
        context: Callable[[], NodeContext],
        page_size: int = PAGE_SIZE,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        self._store = store
        self._runs = runs
        self._context = context
        self._page_size = page_size

    def _check(self, principal: Principal | None) -> NodeContext:
        return operations_context(self._context, principal, _OPERATIONS_ONLY)

    def runs(self, principal: Principal | None, page: int = 1) -> RunsPage:
        """Page ``page`` of the runs, newest first (a page past the last one is empty)."""
        self._check(principal)
        total = self._runs.count()
        pages = max(1, -(-total // self._page_size))
        page = max(1, page)
        offset = (page - 1) * self._page_size
        records = self._runs.latest(self._page_size, offset) if offset < total else []
        return RunsPage(tuple(_summary(r) for r in records), page, pages, total)

    def run(self, principal: Principal | None, run_id: int) -> RunDetail | None:
        """Run ``run_id`` as ``principal`` may see it; None when it is not kept."""
        ctx = self._check(principal)
        record = self._runs.get(run_id)
        if record is None:
            return None
        report = record.report
        visibility = Visibility(principal, ctx)
        hits = [item for item in _list(report, "by_indicator") if isinstance(item, dict)]
        suppressed = [item for item in _list(report, "suppressed") if isinstance(item, dict)]
        sightings = [str(s) for s in _list(report, "sightings")]
        named = [str(item.get("id", "")) for item in hits]
        for item in suppressed:
            named.extend(str(i) for i in _list(item, "indicator_ids"))
        shown = self._shown(visibility, [*named, *sightings])
        return RunDetail(
            summary=_summary(record),
            counts=tuple(
                (label, _int(report, key)) for key, label in _DETAIL_COUNTS if key in report
            ),
            warninglists=bool(report.get("warninglists", True)),
            indicators=tuple(
                IndicatorHitRow(str(item["id"]), shown[str(item["id"])], _int(item, "hits"))
                for item in hits
                if _is_a(str(item.get("id", "")), "indicator") and str(item["id"]) in shown
            ),
            suppressed=tuple(
                SuppressedRow(
                    str(item.get("kind", "")),
                    str(item.get("value", "")),
                    tuple(str(name) for name in _list(item, "lists")),
                    _int(item, "hits"),
                )
                for item in suppressed
                if any(
                    _is_a(str(i), "indicator") and str(i) in shown
                    for i in _list(item, "indicator_ids")
                )
            ),
            sightings=tuple(s for s in sightings if _is_a(s, "sighting") and s in shown),
            truncated=any(
                _int(report, f"{key}_total") > len(_list(report, key))
                for key in ("by_indicator", "suppressed", "sightings")
            ),
        )

    def _shown(self, visibility: Visibility, ids: Iterable[str]) -> dict[str, str | None]:
        """Of ``ids``, those whose latest version the reader may see, with the name it is
        shown (None when it has none)."""
        wanted = sorted(set(ids))
        shown: dict[str, str | None] = {}
        # A few hundred ids per query, as ``ObjectQuery(ids=...)`` is meant for.
        for start in range(0, len(wanted), 200):
            chunk = tuple(wanted[start : start + 200])
            query = ObjectQuery(ids=chunk, versions=("last",), limit=len(chunk))
            for version in self._store.query(query).items:
                release = visibility.release(version)
                if release is None:
                    continue
                name = release.version.to_json().get("name")
                shown[version.id] = name if isinstance(name, str) else None
        return shown
