"""A case's custody log as one of the node's operators is shown it: entries, verdict, checkpoint.

Issue 14: the custody log of a case (``AuditLog.record_custody``, chain ``case:<id>``, ADR
0017) is a node record, so only the node's own admins and analysts read it
(``services.recipients.is_node_operator``), and only for a case they may see
(``CaseService.show``: the same ``ObjectNotFound`` for a case that does not exist and for one
the policy withholds). An entry names the objects an event touched when it was recorded; a
reader may not see all of them (a TLP:RED object of one analyst, say), so each entry is shown
with only the ids its reader may see, through the one policy (``CaseService.may_see``), and a
count of those withheld.

Reading the custody log is not itself a custody event: the log records what happened to the
evidence (acquired, viewed, exported, transferred), and this page shows the log, not the
evidence (the case's content is on its own page, whose view is recorded on channel ``ui``). A
"viewed" entry per look at the log would make the log grow with its own reading and change
the chain a reader is checking. The read is not unrecorded: the case read through the policy
is noted in the node's audit log (``server.audit``) like every read above TLP:CLEAR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from entente.audit import Checkpoint, Entry, Verdict, case_chain
from entente.errors import InvalidInput, PermissionDenied
from entente.services.audit_log import AuditLog
from entente.services.cases import CaseService, ShownCase
from entente.services.recipients import is_node_operator
from entente.sharing import Principal

__all__ = ["EXPORT_EVENTS", "CaseCustodyService", "CustodyLog", "ShownEntry"]

# The events of an export (``services.case_evidence``): its start, and its failure if any.
EXPORT_EVENTS = frozenset({"exported", "export-failed"})


@dataclass(frozen=True, slots=True)
class ShownEntry:
    """One custody entry as its reader is shown it: the ids it may see, the rest counted."""

    seq: int
    time_us: int
    actor: str
    org: str
    role: str
    event: str
    channel: str
    objects: tuple[str, ...]
    # Ids the entry names that the reader may not see.
    withheld: int
    # Ids the entry itself left unlisted (past ``audit.MAX_OBJECT_IDS``).
    omitted: int
    agreements: tuple[str, ...]
    details: Mapping[str, str | int | bool | None]


@dataclass(frozen=True, slots=True)
class CustodyLog:
    """A window of a case's custody log, its exports, and what checking the whole log found."""

    case: ShownCase
    total: int
    entries: tuple[ShownEntry, ...]
    # Every export (and failed export) of the case, oldest first.
    exports: tuple[ShownEntry, ...]
    verdict: Verdict
    checkpoint: Checkpoint | None
    # False when an entry's stored bytes no longer parse (then no entry is shown; the
    # verdict names the first one that is wrong).
    readable: bool = True


class _Screen:
    """Which ids one reader may see, asked once per id."""

    def __init__(self, cases: CaseService, principal: Principal) -> None:
        self._cases = cases
        self._principal = principal
        self._memo: dict[str, bool] = {}

    def sees(self, object_id: str) -> bool:
        if object_id not in self._memo:
            self._memo[object_id] = self._cases.may_see(self._principal, object_id)
        return self._memo[object_id]

    def entry(self, entry: Entry) -> ShownEntry:
        shown = tuple(oid for oid in entry.object_ids if self.sees(oid))
        return ShownEntry(
            seq=entry.seq,
            time_us=entry.time_us,
            actor=entry.actor.id,
            org=entry.actor.org,
            role=entry.actor.role,
            event=entry.action,
            channel=entry.channel,
            objects=shown,
            withheld=len(entry.object_ids) - len(shown),
            omitted=entry.objects_omitted,
            agreements=entry.agreements,
            details=dict(entry.details),
        )


class CaseCustodyService:
    """The custody logs of the node's cases, for its operators, through the sharing policy."""

    def __init__(self, *, cases: CaseService, audit: AuditLog, node_org: str) -> None:
        self._cases = cases
        self._audit = audit
        self._node_org = node_org

    def may_read(self, principal: Principal) -> bool:
        """Whether ``principal`` reads custody logs at all: the node's admins and analysts."""
        return is_node_operator(principal, self._node_org)

    def show(self, principal: Principal, case_id: str, *, start: int, count: int) -> CustodyLog:
        """Entries ``start`` to ``start + count`` (0-based, in sequence order) of the custody
        log of ``case_id``, every export, and the verdict over the whole chain.

        ``PermissionDenied`` for anyone but the node's operators (asked before the case, so
        the refusal says nothing about which cases exist); ``ObjectNotFound`` for a case the
        reader may not see. Only the window's and the exports' ids are screened."""
        if not self.may_read(principal):
            raise PermissionDenied("only the node's own admins and analysts read custody logs")
        view = self._cases.show(principal, case_id)
        readable = True
        entries: Sequence[Entry]
        try:
            entries = self._audit.custody_entries(case_id)
        except InvalidInput:
            # A stored body changed so far it is no entry: shown as the broken log it is.
            entries, readable = (), False
        screen = _Screen(self._cases, principal)
        chain = case_chain(case_id)
        return CustodyLog(
            case=view.shown,
            total=len(entries),
            entries=tuple(screen.entry(e) for e in entries[start : start + max(count, 0)]),
            exports=tuple(screen.entry(e) for e in entries if e.action in EXPORT_EVENTS),
            verdict=self._audit.verify(chain),
            checkpoint=self._audit.latest_checkpoint(chain),
            readable=readable,
        )
