"""The "Partners and agreements" page's reads: each partner's sync state and what may flow
each way (issue 13).

Partners, their sync reports and checkpoints, and the agreements are the node's own
operations, read by the node org's admins and analysts only
(``services.dashboard.may_see_operations``); anyone else is refused with ``PermissionDenied``.
A partner's token never leaves the store here. What flowed from a partner is read from its
sync reports (added, duplicates, new versions, rejected, and the rejections' reasons); what it
may receive from this node is the agreements in force that bind both orgs (architecture §2):
their TLP ceiling, object types, onward rules, redactions, sightings rule and validity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from entente.clock import Clock
from entente.errors import ObjectNotFound
from entente.services.dashboard import operations_context
from entente.sharing import Agreement, NodeContext, Principal
from entente.store import (
    Checkpoint,
    CheckpointStore,
    PartnerRecord,
    PartnerStore,
    SyncReport,
    SyncReportStore,
)

__all__ = [
    "PAGE_SIZE",
    "RECENT_RUNS",
    "AgreementTerms",
    "PartnerDetail",
    "PartnerOverviewService",
    "PartnerSummary",
    "PartnersPage",
]

# Partners per page of the list, and sync reports per page of a partner's history.
PAGE_SIZE: Final = 20
# Sync runs read per partner for its sparkline, its recent errors and its rejection reasons.
RECENT_RUNS: Final = 30
# Reports a partner's history pages through at most (the store keeps them all).
MAX_HISTORY: Final = 500
_ERRORS_SHOWN = 5
_OPERATIONS_ONLY = (
    "Partners and agreements are shown to the admins and analysts of this node's own org."
)


@dataclass(frozen=True, slots=True)
class PartnerSummary:
    """A partner's state as the list shows it."""

    name: str
    org_name: str
    org_id: str
    added_us: int
    last_sync_us: int | None
    last_error: str | None
    objects_received: int
    # Objects added per recent run, oldest first (the sparkline), and the runs' totals.
    added_per_run: tuple[int, ...]
    failed_runs: int
    rejected: int
    # Agreements in force that bind this node's org and the partner's.
    agreements_in_force: int

    @property
    def status(self) -> str:
        """ "never synced", "failing" (the last sync failed) or "ok"."""
        if self.last_sync_us is None:
            return "never synced"
        return "failing" if self.last_error else "ok"


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """An agreement as the page shows it: who it binds and what it lets flow."""

    id: str
    name: str
    parties: tuple[str, ...]  # the partners' names where known, else org ids
    in_force: bool
    max_tlp: str
    object_types: tuple[str, ...] | None
    onward: str
    onward_orgs: tuple[str, ...]
    redact: tuple[tuple[str, tuple[str, ...]], ...]
    sightings: str
    third_party: str
    valid_from_us: int | None
    valid_until_us: int | None


@dataclass(frozen=True, slots=True)
class PartnersPage:
    """One page of partners (by name) and every agreement (by id)."""

    partners: tuple[PartnerSummary, ...]
    page: int
    pages: int
    total: int
    agreements: tuple[AgreementTerms, ...]


@dataclass(frozen=True, slots=True)
class PartnerDetail:
    """One partner: its state, its sync history (a page of it) and what may flow each way."""

    summary: PartnerSummary
    api_root: str
    checkpoints: tuple[Checkpoint, ...]
    reports: tuple[SyncReport, ...]
    page: int
    # Whether an older page of reports follows (the history pages through ``MAX_HISTORY``).
    has_next: bool
    recent_errors: tuple[tuple[int, str], ...]  # (finished_us, error), newest first
    # Why objects were refused in the recent runs: (reason, objects), most first.
    rejection_reasons: tuple[tuple[str, int], ...]
    # What the partner may receive from this node: the agreements binding both orgs.
    agreements: tuple[AgreementTerms, ...]


def _terms(agreement: Agreement, names: dict[str, str], now_us: int) -> AgreementTerms:
    return AgreementTerms(
        id=agreement.id,
        name=agreement.name,
        parties=tuple(sorted(names.get(org, org) for org in agreement.parties)),
        in_force=agreement.in_force(now_us),
        max_tlp=f"TLP:{agreement.max_tlp.label.upper()}",
        object_types=(
            None if agreement.object_types is None else tuple(sorted(agreement.object_types))
        ),
        onward=agreement.onward.value,
        onward_orgs=tuple(sorted(names.get(org, org) for org in agreement.onward_orgs)),
        redact=tuple((key, tuple(props)) for key, props in agreement.redact.items()),
        sightings=agreement.sightings.value,
        third_party=agreement.third_party.value,
        valid_from_us=agreement.valid_from_us,
        valid_until_us=agreement.valid_until_us,
    )


def _binds(agreement: Agreement, node_org: str, partner: PartnerRecord) -> bool:
    return node_org in agreement.parties and partner.org_id in agreement.parties


class PartnerOverviewService:
    """Partners, their sync history and the agreements, for the node's own staff."""

    def __init__(
        self,
        *,
        partners: PartnerStore,
        reports: SyncReportStore,
        checkpoints: CheckpointStore,
        agreements: Callable[[], Sequence[Agreement]],
        context: Callable[[], NodeContext],
        clock: Clock,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        self._partners = partners
        self._reports = reports
        self._checkpoints = checkpoints
        self._agreements = agreements
        self._context = context
        self._clock = clock
        self._page_size = page_size

    def _check(self, principal: Principal | None) -> NodeContext:
        return operations_context(self._context, principal, _OPERATIONS_ONLY)

    def _summary(
        self, partner: PartnerRecord, agreements: Sequence[Agreement], node_org: str, now: int
    ) -> PartnerSummary:
        runs = list(reversed(self._reports.latest(partner.name, RECENT_RUNS)))
        return PartnerSummary(
            name=partner.name,
            org_name=partner.org_name,
            org_id=partner.org_id,
            added_us=partner.added_us,
            last_sync_us=partner.last_sync_us,
            last_error=partner.last_error,
            objects_received=partner.objects_received,
            added_per_run=tuple(run.added for run in runs),
            failed_runs=sum(1 for run in runs if run.error is not None),
            rejected=sum(run.rejected for run in runs),
            agreements_in_force=sum(
                1 for a in agreements if _binds(a, node_org, partner) and a.in_force(now)
            ),
        )

    def overview(self, principal: Principal | None, page: int = 1) -> PartnersPage:
        """Page ``page`` of the partners, by name, and every agreement, by id."""
        ctx = self._check(principal)
        now = self._clock.now_us()
        everyone = sorted(self._partners.list(), key=lambda p: p.name)
        agreements = sorted(self._agreements(), key=lambda a: a.id)
        names = {p.org_id: p.name for p in everyone}
        pages = max(1, -(-len(everyone) // self._page_size))
        page = max(1, page)
        start = (page - 1) * self._page_size
        shown = everyone[start : start + self._page_size]
        return PartnersPage(
            partners=tuple(self._summary(p, agreements, ctx.node_org, now) for p in shown),
            page=page,
            pages=pages,
            total=len(everyone),
            agreements=tuple(_terms(a, names, now) for a in agreements),
        )

    def partner(self, principal: Principal | None, name: str, page: int = 1) -> PartnerDetail:
        """One partner, with page ``page`` of its sync reports (newest first);
        ``ObjectNotFound`` when there is no partner of that name."""
        ctx = self._check(principal)
        record = self._partners.get(name)
        if record is None:
            raise ObjectNotFound(f"no partner named {name!r}")
        now = self._clock.now_us()
        agreements = sorted(self._agreements(), key=lambda a: a.id)
        names = {p.org_id: p.name for p in self._partners.list()}
        page = max(1, page)
        start = (page - 1) * self._page_size
        end = min(start + self._page_size, MAX_HISTORY)
        history = self._reports.latest(name, end + 1) if start < MAX_HISTORY else []
        recent = self._reports.latest(name, RECENT_RUNS)
        reasons = Counter(item.get("reason", "") for report in recent for item in report.rejections)
        return PartnerDetail(
            summary=self._summary(record, agreements, ctx.node_org, now),
            api_root=record.api_root,
            checkpoints=tuple(self._checkpoints.list(name)),
            reports=tuple(history[start:end]),
            page=page,
            has_next=len(history) > end and end < MAX_HISTORY,
            recent_errors=tuple(
                (report.finished_us, report.error) for report in recent if report.error
            )[:_ERRORS_SHOWN],
            rejection_reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            agreements=tuple(
                _terms(a, names, now) for a in agreements if _binds(a, ctx.node_org, record)
            ),
        )
