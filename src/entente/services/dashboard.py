"""The analyst dashboard's figures (issue 13), each through the sharing policy for its reader.

The object figures come from the store's counters (``store.dashboard_index``), never from a
scan of the versions: each counter cell is one combination of the facts the sharing policy
decides on, so a reader's figure is the sum of the cells the policy lets it see
(docs/adr/0010-dashboard-aggregates.md). A cell counts for a reader when ``decide`` lets its
versions through **whole**: a version the reader would be shown only in part (content under a
granular marking it may not read, a partner's redactions) is left out, since whether that
copy is shown at all depends on its content, which a counter does not keep (fail closed).

Sync health and recent rejections are the node's own operations (partner names, their error
messages, the ids of what they sent and were refused), which no marking governs: they are
shown to the admins and analysts of the node's own org only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from entente.clock import Clock
from entente.errors import PermissionDenied
from entente.services.visibility import Visibility, facts_of
from entente.sharing import Allow, NodeContext, Principal, Role, decide, effective_tlp
from entente.stix import Tlp
from entente.store import (
    CountCell,
    DashboardCounts,
    ObjectQuery,
    ObjectStore,
    PartnerStore,
    SourceKind,
    SyncReportStore,
)

__all__ = [
    "ACTIVITY_TYPES",
    "TOP_BATCH",
    "Dashboard",
    "DashboardService",
    "MonthlyFigure",
    "PartnerHealth",
    "RecentRejection",
    "SeriesCounts",
    "TlpShare",
    "TopHit",
    "is_counted",
    "may_see_operations",
    "months_ending",
    "operations_context",
]

# The object types of the activity figure: what happened (incidents) and what was seen.
ACTIVITY_TYPES = ("incident", "sighting")

# Sync runs per partner read for its health (and its sparkline of objects added per run).
SYNC_RUNS = 12
# Rejections listed, newest first, and the sync reports read to find them.
REJECTIONS = 10
_REJECTION_REPORTS = 50
# Indicators read per step of the top-hits walk (by default).
TOP_BATCH = 200


@dataclass(frozen=True, slots=True)
class SeriesCounts:
    """One named row of a monthly figure, a value per month."""

    name: str
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MonthlyFigure:
    """Counts per month (``YYYY-MM``, oldest first) for each series."""

    months: tuple[str, ...]
    series: tuple[SeriesCounts, ...]


@dataclass(frozen=True, slots=True)
class TopHit:
    """An indicator and its sightings' hits (the sum of their ``count``, STIX 2.1 §5.7)."""

    indicator_id: str
    name: str | None
    sightings: int
    hits: int


@dataclass(frozen=True, slots=True)
class TlpShare:
    """How many objects read as one TLP level (unmarked ones as the node's default)."""

    level: str  # "TLP:CLEAR" ... "TLP:RED"
    objects: int


@dataclass(frozen=True, slots=True)
class PartnerHealth:
    """A partner's sync state: its last sync, its last error and its recent runs."""

    partner: str
    org_name: str
    last_sync_us: int | None
    last_error: str | None
    objects_received: int
    # Objects added per recent run, oldest first (a sparkline), and how many of them failed.
    added_per_run: tuple[int, ...]
    failed_runs: int


@dataclass(frozen=True, slots=True)
class RecentRejection:
    """An object a partner sent that this node refused, from a sync report."""

    partner: str
    at_us: int
    object_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Every figure of the dashboard, as one reader may see them."""

    months: tuple[str, ...]
    activity: MonthlyFigure
    top_hits: tuple[TopHit, ...]
    partner_intel: MonthlyFigure
    tlp_mix: tuple[TlpShare, ...]
    # Empty unless ``operations_shown`` (the node org's admins and analysts).
    sync_health: tuple[PartnerHealth, ...]
    rejections: tuple[RecentRejection, ...]
    operations_shown: bool


def months_ending(now_us: int, count: int) -> tuple[str, ...]:
    """The ``count`` months (``YYYY-MM``, UTC) up to and including the month of ``now_us``."""
    if count < 1:
        raise ValueError(f"at least one month, not {count}")
    now = datetime.fromtimestamp(now_us / 1_000_000, UTC)
    index = now.year * 12 + now.month - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1))


def is_counted(cell: CountCell, principal: Principal | None, ctx: NodeContext) -> bool:
    """Whether the objects of ``cell`` count in what ``principal`` is shown (whole only)."""
    decision = decide(
        facts_of(
            # The cell stands for its objects; the policy decides on facts, never on an id.
            object_id=cell.cell,
            object_type=cell.type,
            created_by_ref=cell.created_by_ref,
            marking_refs=cell.marking_refs,
            granular=cell.granular_markings,
            provenance=cell.provenance,
            node_org=ctx.node_org,
        ),
        principal,
        ctx,
    )
    return isinstance(decision, Allow) and not (
        decision.strip or decision.redact or decision.anonymise
    )


def may_see_operations(principal: Principal | None, ctx: NodeContext) -> bool:
    """Whether ``principal`` may see the node's own operations (sync, matching runs): the
    admins and analysts of the node's own org (module docstring)."""
    return (
        principal is not None
        and principal.role in (Role.ADMIN, Role.ANALYST)
        and principal.org == ctx.node_org
    )


def operations_context(
    context: Callable[[], NodeContext], principal: Principal | None, refusal: str
) -> NodeContext:
    """The node context, for one who ``may_see_operations``; else ``PermissionDenied(refusal)``
    (the pages of the node's own operations: partners, matching runs)."""
    ctx = context()
    if not may_see_operations(principal, ctx):
        raise PermissionDenied(refusal)
    return ctx


class DashboardService:
    """The dashboard's figures for one reader, from the counters and the sync reports."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        counts: DashboardCounts,
        partners: PartnerStore,
        reports: SyncReportStore,
        context: Callable[[], NodeContext],
        clock: Clock,
        top_batch: int = TOP_BATCH,
    ) -> None:
        self._store = store
        self._counts = counts
        self._partners = partners
        self._reports = reports
        self._context = context
        self._clock = clock
        if top_batch < 1:
            raise ValueError(f"top_batch must be at least 1, not {top_batch}")
        self._top_batch = top_batch

    def dashboard(
        self, principal: Principal | None, *, months: int = 12, top: int = 10
    ) -> Dashboard:
        """Every figure over the last ``months`` months (this one included) for ``principal``."""
        ctx = self._context()
        window = months_ending(self._clock.now_us(), months)
        visible = {
            cell.cell: cell for cell in self._counts.cells() if is_counted(cell, principal, ctx)
        }
        levels = {
            key: effective_tlp(
                cell.marking_refs,
                ctx.default_marking,
                known_statement_markings=ctx.known_statement_markings,
            )
            for key, cell in visible.items()
        }
        by_type: dict[tuple[str, str], int] = {}
        by_partner: dict[tuple[str, str], int] = {}
        by_level: dict[Tlp, int] = {}
        for count in self._counts.month_counts(window[0]):
            cell = visible.get(count.cell)
            if cell is None or count.month > window[-1]:
                continue
            by_type[(cell.type, count.month)] = by_type.get((cell.type, count.month), 0) + (
                count.objects
            )
            if cell.provenance.source_kind is SourceKind.PARTNER:
                key = (cell.provenance.source_name, count.month)
                by_partner[key] = by_partner.get(key, 0) + count.objects
            level = levels[count.cell]
            if level is not None:  # counted cells have known markings only
                by_level[level] = by_level.get(level, 0) + count.objects
        activity = MonthlyFigure(
            window,
            tuple(
                SeriesCounts(kind, tuple(by_type.get((kind, m), 0) for m in window))
                for kind in ACTIVITY_TYPES
            ),
        )
        sources = sorted(
            {name for name, _ in by_partner},
            key=lambda name: (-sum(by_partner.get((name, m), 0) for m in window), name),
        )
        partner_intel = MonthlyFigure(
            window,
            tuple(
                SeriesCounts(name, tuple(by_partner.get((name, m), 0) for m in window))
                for name in sources
            ),
        )
        tlp_mix = tuple(
            TlpShare(f"TLP:{level.label.upper()}", by_level.get(level, 0)) for level in Tlp
        )
        operations = may_see_operations(principal, ctx)
        return Dashboard(
            months=window,
            activity=activity,
            top_hits=self.top_hits(principal, ctx, visible.values(), top),
            partner_intel=partner_intel,
            tlp_mix=tlp_mix,
            sync_health=self.sync_health() if operations else (),
            rejections=self.rejections() if operations else (),
            operations_shown=operations,
        )

    def top_hits(
        self,
        principal: Principal | None,
        ctx: NodeContext,
        visible: Iterable[CountCell],
        limit: int,
    ) -> tuple[TopHit, ...]:
        """The ``limit`` indicators with the most hits in sightings ``principal`` may see,
        each an indicator it may see too (its name as that reader is shown it).

        A threshold algorithm (Fagin, Lotem and Naor, "Optimal aggregation algorithms for
        middleware", PODS 2001): indicators are read in descending order of the hits of all
        their sightings, which bounds the hits of those a reader may see; once the last of
        the reader's top list has more than that bound, nothing further down can enter it.
        A reader who sees most sightings stops after the first batch; one who sees few reads
        on, at worst every sighted indicator.
        """
        if limit < 1:
            return ()
        cells = sorted(cell.cell for cell in visible if cell.type == "sighting")
        if not cells:
            return ()
        visibility = Visibility(principal, ctx)
        best: list[TopHit] = []
        after: tuple[int, str] | None = None
        batch_size = self._top_batch
        while True:
            batch = self._counts.targets_by_total(after, batch_size)
            if not batch:
                break
            # Sightings may be of any object (STIX 2.1 §5.7); the figure ranks indicators.
            indicators = [t.target_ref for t in batch if t.target_ref.startswith("indicator--")]
            seen = self._counts.hits_in(indicators, cells)
            names = self._shown_names(visibility, [t.target_ref for t in seen])
            best.extend(
                TopHit(t.target_ref, names[t.target_ref], t.sightings, t.hits)
                for t in seen
                if t.target_ref in names
            )
            best.sort(key=lambda hit: (-hit.hits, hit.indicator_id))
            del best[limit:]
            after = (batch[-1].hits, batch[-1].target_ref)
            # Every indicator still unread has at most ``after[0]`` hits in all.
            if len(batch) < batch_size or (len(best) == limit and best[-1].hits > after[0]):
                break
        return tuple(best)

    def _shown_names(self, visibility: Visibility, ids: Sequence[str]) -> dict[str, str | None]:
        """Of these indicator ids, those whose latest version the reader may see, with the
        name it is shown (None when it has none)."""
        if not ids:
            return {}
        page = self._store.query(ObjectQuery(ids=tuple(ids), versions=("last",), limit=len(ids)))
        names: dict[str, str | None] = {}
        for version in page.items:
            release = visibility.release(version)
            if release is None:
                continue
            name = release.version.to_json().get("name")
            names[version.id] = name if isinstance(name, str) else None
        return names

    def sync_health(self) -> tuple[PartnerHealth, ...]:
        """Every partner's last sync, last error and recent runs, by partner name."""
        out = []
        for partner in sorted(self._partners.list(), key=lambda p: p.name):
            runs = list(reversed(self._reports.latest(partner.name, SYNC_RUNS)))
            out.append(
                PartnerHealth(
                    partner=partner.name,
                    org_name=partner.org_name,
                    last_sync_us=partner.last_sync_us,
                    last_error=partner.last_error,
                    objects_received=partner.objects_received,
                    added_per_run=tuple(run.added for run in runs),
                    failed_runs=sum(1 for run in runs if run.error is not None),
                )
            )
        return tuple(out)

    def rejections(self) -> tuple[RecentRejection, ...]:
        """The newest objects partners sent that this node refused, newest first."""
        out: list[RecentRejection] = []
        for report in self._reports.latest(None, _REJECTION_REPORTS):
            for item in report.rejections:
                out.append(
                    RecentRejection(
                        partner=report.partner,
                        at_us=report.finished_us,
                        object_id=item.get("id", ""),
                        reason=item.get("reason", ""),
                    )
                )
        out.sort(key=lambda r: -r.at_us)  # stable: a report's own order is kept
        return tuple(out[:REJECTIONS])
