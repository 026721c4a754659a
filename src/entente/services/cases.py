"""Case use cases: create, list, show, change and merge cases, all through the node's write
path and the one sharing policy.

A case is STIX (``entente.cases.extension``): creating or changing one posts new versions of
its objects through ``TaxiiService.add`` as the acting principal, exactly as REST POST does,
so versioning (STIX 2.1 §3.6), provenance, the ownership rules, search, dashboard counters
and federation apply unchanged. Every read is ``TaxiiService.read``/``read_object`` as the
reader, so a case shows only what the policy releases to that reader (the copy it is shown);
a case that exists and one the reader may not see answer alike (``ObjectNotFound``).

Only the org that created a case changes it (the ownership rules would refuse a new version
from anyone else; the check here comes first so that nothing is half-written), and changes
are read from the full version, never from a redacted copy.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from entente.audit import Actor, EntryDraft
from entente.cases import (
    Answer,
    Case,
    CaseEvent,
    CaseType,
    LegalHold,
    Resolution,
    Stage,
    StatusScheme,
    add_note,
    add_task,
    attach,
    check_file_hash,
    close,
    complete_task,
    extension_definition,
    is_case,
    merge,
    merged_markings,
    new_case,
    parse_case,
    place_hold,
    record_answer,
    record_request,
    release_hold,
    render_case,
    render_incident,
    set_status,
    shareable_copy,
    timeline,
)
from entente.clock import Clock
from entente.errors import InvalidInput, InvalidObject, ObjectNotFound, PermissionDenied
from entente.ingest import Candidate
from entente.services.ingest import IngestService
from entente.services.search import SearchRequest, SearchService
from entente.services.taxii import TaxiiService
from entente.sharing import Principal
from entente.stix import Tlp, format_timestamp_us, is_valid_id, marking_id_for, parse_object
from entente.store import ObjectQuery, ObjectStore, Provenance, SourceKind, StoredVersion

__all__ = [
    "CaseService",
    "CaseView",
    "CustodyRecorder",
    "ShownCase",
    "case_document",
    "custody_draft",
    "ensure_case_extension",
    "view_document",
]

_SOURCE = "cases"
_EXTENSION_SOURCE = "entente built-in case extension-definition"
_PAGE = 1000
_MAX_VERSIONS = 10_000
# A hash names one file; a few objects may describe it (a file per feed that reported it).
_MAX_FILES_PER_HASH = 20


# Appends drafts to one case's custody log (``AuditLog.record_custody``); issue 14 item 3.
CustodyRecorder = Callable[[str, Sequence[EntryDraft]], object]


def custody_draft(
    principal: Principal,
    action: str,
    channel: str,
    object_ids: Sequence[str] = (),
    *,
    agreements: Sequence[str] = (),
    details: dict[str, str | int | bool | None] | None = None,
) -> EntryDraft:
    """One custody event (acquired, viewed, exported, transferred) by ``principal``."""
    return EntryDraft(
        actor=Actor(principal.id, principal.org, principal.role.value),
        action=action,
        channel=channel,
        object_ids=tuple(object_ids),
        agreements=tuple(agreements),
        details=details or {},
    )


def ensure_case_extension(store: ObjectStore, clock: Clock) -> None:
    """Store Entente's case ``extension-definition`` if it is missing (idempotent), as the
    node stores its built-in TLP markings: a reader of a case can look the extension up."""
    candidate = Candidate(source=_EXTENSION_SOURCE, position="[0]", data=extension_definition())
    service = IngestService(store, clock, principal="system")
    provenance = Provenance(SourceKind.BUILTIN, _EXTENSION_SOURCE, "system")
    service.ingest_candidates([candidate], provenance, source=_EXTENSION_SOURCE)


@dataclass(frozen=True, slots=True)
class ShownCase:
    """A case as one reader is shown it: the case, its creator and its markings."""

    case: Case
    created_by_ref: str | None
    marking_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case for its page: the latest version shown, every version shown, the timeline."""

    shown: ShownCase
    versions: tuple[Case, ...]
    events: tuple[CaseEvent, ...]


def _shown(version: StoredVersion) -> ShownCase | None:
    """The case a released version states, or ``None`` when it is not (or no longer, after
    a redaction) a readable case."""
    obj = version.to_json()
    if not is_case(obj):
        return None
    try:
        case = parse_case(obj)
    except InvalidObject:
        return None
    return ShownCase(case, version.created_by_ref, version.marking_refs)


class _Screen:
    """What one reader is shown of the ids a case names: only those it may see itself.

    A case the reader may see can reference objects (and name cases) it may not; their ids
    are left out of what it is shown (and so out of the timeline built from it), as every
    page names only what passes the policy for its reader. One look-up per id per read.
    """

    def __init__(self, principal: Principal, visible: Callable[[Principal, str], bool]) -> None:
        self._principal = principal
        self._visible = visible
        self._memo: dict[str, bool] = {}

    def _sees(self, object_id: str) -> bool:
        if object_id not in self._memo:
            self._memo[object_id] = self._visible(self._principal, object_id)
        return self._memo[object_id]

    def shown(self, shown: ShownCase) -> ShownCase:
        case = shown.case
        merged_into = case.merged_into
        screened = replace(
            case,
            refs=tuple(r for r in case.refs if self._sees(r)),
            attached=tuple(r for r in case.attached if self._sees(r)),
            merged_from=tuple(r for r in case.merged_from if self._sees(r)),
            merged_into=merged_into if merged_into is None or self._sees(merged_into) else None,
        )
        return replace(shown, case=screened)


class CaseService:
    """Cases over the node's TAXII service (its one write path and its policy-bound reads)."""

    def __init__(
        self,
        *,
        taxii: TaxiiService,
        search: SearchService,
        store: ObjectStore,
        clock: Clock,
        scheme: StatusScheme | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        custody: CustodyRecorder | None = None,
    ) -> None:
        self._taxii = taxii
        # Where custody events go (None: not recorded, for tests of the case model alone).
        self._custody = custody
        self._search = search
        self._store = store
        self._clock = clock
        self._scheme = scheme or StatusScheme()
        self._new_id = new_id
        # One change of a case at a time: each reads the latest version and writes the next,
        # and two at once would both write "the next" and one change would be lost.
        self._changing = threading.Lock()

    @property
    def scheme(self) -> StatusScheme:
        """The statuses allowed in each stage on this node."""
        return self._scheme

    def check_write(self, principal: Principal) -> None:
        """``PermissionDenied`` unless ``principal``'s role may write (admins and analysts)."""
        self._taxii.check_write(None, principal)

    # -- reads -----------------------------------------------------------------------------

    def list_cases(self, principal: Principal) -> list[ShownCase]:
        """The latest version of every case ``principal`` may see, newest change first."""
        query = ObjectQuery(types=("grouping",), versions=("last",), limit=_PAGE)
        found: list[ShownCase] = []
        screen = _Screen(principal, self._is_visible)
        while True:
            page = self._taxii.read(None, principal, query)
            found.extend(screen.shown(s) for v in page.items if (s := _shown(v)) is not None)
            if page.next_cursor is None:
                break
            query = replace(query, after_cursor=page.next_cursor)
        return sorted(found, key=lambda s: (-s.case.modified_us, s.case.id))

    def record_custody(self, case_id: str, drafts: Sequence[EntryDraft]) -> None:
        """Append ``drafts`` to the case's custody log (when this service records custody)."""
        if self._custody is not None and drafts:
            self._custody(case_id, drafts)

    def show(self, principal: Principal, case_id: str, *, channel: str | None = None) -> CaseView:
        """One case as ``principal`` is shown it, with its timeline over the versions shown.

        With ``channel`` (``rest``, ``ui``, ``cli``) the showing is a custody event
        ("viewed"), recorded only once the case was found visible: a refused look leaves
        no entry in a log its reader could not see anyway.
        """
        _check_case_id(case_id)
        query = ObjectQuery(versions=("all",), limit=_MAX_VERSIONS)
        page = self._taxii.read_object(None, principal, case_id, query)
        screen = _Screen(principal, self._is_visible)
        shown = sorted(
            (screen.shown(s) for v in page.items if (s := _shown(v)) is not None),
            key=lambda s: s.case.modified_us,
        )
        if not shown:
            raise ObjectNotFound(f"no case {case_id}")
        versions = tuple(s.case for s in shown)
        if channel is not None:
            latest = shown[-1].case
            self.record_custody(
                case_id, [custody_draft(principal, "viewed", channel, [case_id, *latest.refs])]
            )
        return CaseView(shown[-1], versions, timeline(versions))

    def may_see(self, principal: Principal, object_id: str) -> bool:
        """Whether ``principal`` may see ``object_id`` (any version), as a case page asks it
        for each id a case names: through the one policy (``TaxiiService.read_object``)."""
        return self._is_visible(principal, object_id)

    # -- writes ----------------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        *,
        name: str,
        case_type: CaseType,
        description: str = "",
        tlp: Tlp | None = None,
        with_template: bool = True,
    ) -> ShownCase:
        """A new case owned by ``principal``'s org, with its type's template of tasks."""
        self._taxii.check_write(None, principal)
        case = new_case(
            case_id=f"grouping--{self._new_id()}",
            incident_id=f"incident--{self._new_id()}",
            name=name,
            case_type=case_type,
            description=description,
            now_us=self._clock.now_us(),
            scheme=self._scheme,
            with_template=with_template,
        )
        markings = () if tlp is None else (marking_id_for(tlp),)
        ensure_case_extension(self._store, self._clock)
        incident = render_incident(case, created_by_ref=principal.org, marking_refs=markings)
        self._write(
            principal,
            [incident, render_case(case, created_by_ref=principal.org, marking_refs=markings)],
        )
        return ShownCase(case, principal.org, markings)

    def set_status(
        self, principal: Principal, case_id: str, stage: Stage, status: str
    ) -> ShownCase:
        """Move the case to ``stage``/``status`` (validated by ``entente.cases``)."""
        return self._change(
            principal, case_id, lambda c, now: set_status(c, stage, status, now, self._scheme)
        )

    def close(self, principal: Principal, case_id: str, resolution: Resolution | None) -> ShownCase:
        """Close the case with ``resolution`` (required)."""
        return self._change(
            principal, case_id, lambda c, now: close(c, resolution, now, self._scheme)
        )

    def add_task(
        self,
        principal: Principal,
        case_id: str,
        title: str,
        *,
        owner: str | None = None,
        due_us: int | None = None,
    ) -> ShownCase:
        """Add an open task."""
        return self._change(
            principal, case_id, lambda c, now: add_task(c, title, now, owner=owner, due_us=due_us)
        )

    def complete_task(
        self, principal: Principal, case_id: str, task_id: str, *, result: str | None = None
    ) -> ShownCase:
        """Mark a task done, with an optional result."""
        return self._change(
            principal, case_id, lambda c, now: complete_task(c, task_id, now, result=result)
        )

    def add_note(self, principal: Principal, case_id: str, text: str) -> ShownCase:
        """Write a note on the case (its author is the principal)."""
        return self._change(principal, case_id, lambda c, now: add_note(c, text, principal.id, now))

    def attach(
        self,
        principal: Principal,
        case_id: str,
        object_ids: Sequence[str],
        *,
        file_hashes: Sequence[str] = (),
        as_evidence: bool = False,
        channel: str = "rest",
    ) -> ShownCase:
        """Reference stored objects (``as_evidence``: attach sightings / matching hits), and
        the files with each of ``file_hashes`` (MD5, SHA-1, SHA-256, SHA-512 in hex).

        Each must be an object ``principal`` may see: a case never names what its author
        could not read (hidden and absent are refused alike).
        """
        object_ids = [*object_ids, *(f for h in file_hashes for f in self._files(principal, h))]
        for object_id in object_ids:
            if not is_valid_id(object_id):
                raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
            self._visible(principal, object_id)
        shown = self._change(
            principal,
            case_id,
            lambda c, now: attach(c, object_ids, now, as_evidence=as_evidence),
        )
        # Custody: the case acquired these objects (after the change was stored).
        details: dict[str, str | int | bool | None] = {"evidence": as_evidence}
        self.record_custody(
            case_id,
            [custody_draft(principal, "acquired", channel, object_ids, details=details)],
        )
        return shown

    # -- legal holds and preservation requests (issue 15 item 5) ---------------------------

    def place_hold(
        self, principal: Principal, case_id: str, reason: str, *, channel: str = "rest"
    ) -> ShownCase:
        """Put the case under legal hold: nothing it references may be deleted, nor the case
        (``LegalHolds``, ``TaxiiService.delete_object``). A custody event records it."""
        shown = self._change(
            principal, case_id, lambda c, now: place_hold(c, reason, principal.id, now)
        )
        details: dict[str, str | int | bool | None] = {"reason": reason.strip()}
        draft = custody_draft(principal, "legal-hold-placed", channel, [case_id], details=details)
        self.record_custody(case_id, [draft])
        return shown

    def release_hold(
        self, principal: Principal, case_id: str, reason: str, *, channel: str = "rest"
    ) -> ShownCase:
        """Release the case's legal hold (with a reason, kept on the case and audited in its
        custody log); what it preserved may then be deleted again."""
        shown = self._change(
            principal, case_id, lambda c, now: release_hold(c, reason, principal.id, now)
        )
        details: dict[str, str | int | bool | None] = {"reason": reason.strip()}
        draft = custody_draft(principal, "legal-hold-released", channel, [case_id], details=details)
        self.record_custody(case_id, [draft])
        return shown

    def record_preservation(
        self,
        principal: Principal,
        case_id: str,
        *,
        reference: str,
        addressee: str,
        pdf_sha256: str,
        channel: str = "rest",
    ) -> ShownCase:
        """Record on the case the preservation request sent under ``reference`` to
        ``addressee`` (the letter by its SHA-256); a custody event names it."""
        shown = self._change(
            principal,
            case_id,
            lambda c, now: record_request(
                c, reference=reference, addressee=addressee, pdf_sha256=pdf_sha256, now_us=now
            ),
        )
        details: dict[str, str | int | bool | None] = {
            "reference": reference,
            "addressee": addressee,
            "pdf_sha256": pdf_sha256,
        }
        draft = custody_draft(
            principal, "preservation-requested", channel, [case_id, *shown.case.refs],
            details=details,
        )  # fmt: skip
        self.record_custody(case_id, [draft])
        return shown

    def record_answer(
        self,
        principal: Principal,
        case_id: str,
        reference: str,
        answer: Answer,
        *,
        preserved_until_us: int | None = None,
        note: str = "",
        channel: str = "rest",
    ) -> ShownCase:
        """Record the answer to the case's preservation request ``reference``."""
        shown = self._change(
            principal,
            case_id,
            lambda c, now: record_answer(
                c, reference, answer, now, preserved_until_us=preserved_until_us, note=note
            ),
        )
        details: dict[str, str | int | bool | None] = {
            "reference": reference,
            "answer": answer.value,
            "preserved_until": _ts_or_none(preserved_until_us),
        }
        draft = custody_draft(
            principal, "preservation-answered", channel, [case_id], details=details
        )
        self.record_custody(case_id, [draft])
        return shown

    def merge(
        self, principal: Principal, case_ids: Sequence[str], name: str
    ) -> tuple[ShownCase, tuple[ShownCase, ...]]:
        """A new case made from ``case_ids``; the originals become read-only and point to it.

        Every original is read and checked first (visible, owned by the principal's org,
        not merged before), so a refusal writes nothing.
        """
        self._taxii.check_write(None, principal)
        with self._changing:
            return self._merge_now(principal, case_ids, name)

    def _merge_now(
        self, principal: Principal, case_ids: Sequence[str], name: str
    ) -> tuple[ShownCase, tuple[ShownCase, ...]]:
        originals = [self._owned(principal, case_id) for case_id in case_ids]
        merged, closed = merge(
            [o.case for o in originals],
            case_id=f"grouping--{self._new_id()}",
            incident_id=f"incident--{self._new_id()}",
            name=name,
            now_us=self._clock.now_us(),
            scheme=self._scheme,
        )
        # Never less restrictive than any original: it holds all their tasks and references.
        default = self._taxii.context().default_marking
        markings = merged_markings([o.marking_refs for o in originals], default)
        objects = [
            render_incident(merged, created_by_ref=principal.org, marking_refs=markings),
            render_case(merged, created_by_ref=principal.org, marking_refs=markings),
        ]
        objects.extend(
            render_case(c, created_by_ref=principal.org, marking_refs=o.marking_refs)
            for c, o in zip(closed, originals, strict=True)
        )
        self._write(principal, objects)
        return (
            ShownCase(merged, principal.org, markings),
            tuple(
                ShownCase(c, principal.org, o.marking_refs)
                for c, o in zip(closed, originals, strict=True)
            ),
        )

    def share(
        self,
        principal: Principal,
        case_id: str,
        *,
        tasks: Collection[str],
        notes: Collection[str],
        tlp: Tlp,
        channel: str = "rest",
    ) -> ShownCase:
        """Store the shareable copy of a case: only the chosen tasks and notes, under ``tlp``
        (partners then receive it over TAXII as their agreements allow, redacted as agreed).
        Sharing again makes a new version of the same copy.

        A custody event ("transferred") names the copy and the agreements with partners in
        force now: the copy goes to them over TAXII as each agreement allows."""
        self._taxii.check_write(None, principal)
        with self._changing:
            shown = self._share_now(principal, case_id, tasks=tasks, notes=notes, tlp=tlp)
        ctx = self._taxii.context()
        agreements = sorted(a.id for a in ctx.agreements if ctx.node_org in a.parties)
        draft = custody_draft(
            principal,
            "transferred",
            channel,
            [shown.case.id, *shown.case.refs],
            agreements=agreements,
            details={"tlp": tlp.label},
        )
        self.record_custody(case_id, [draft])
        return shown

    def _share_now(
        self,
        principal: Principal,
        case_id: str,
        *,
        tasks: Collection[str],
        notes: Collection[str],
        tlp: Tlp,
    ) -> ShownCase:
        owned = self._owned(principal, case_id)
        copy = shareable_copy(owned.case, tasks=tasks, notes=notes, now_us=self._clock.now_us())
        markings = (marking_id_for(tlp),)
        try:
            previous = self._store.get_versions(copy.id, ("last",))
        except ObjectNotFound:
            previous = []
        objects = [render_case(copy, created_by_ref=principal.org, marking_refs=markings)]
        if previous:
            last = parse_case(previous[-1].to_json())
            copy = replace(copy, modified_us=max(copy.modified_us, last.modified_us + 1))
            objects = [render_case(copy, created_by_ref=principal.org, marking_refs=markings)]
        else:
            objects.insert(
                0, render_incident(copy, created_by_ref=principal.org, marking_refs=markings)
            )
        self._write(principal, objects)
        return ShownCase(copy, principal.org, markings)

    # -- helpers ---------------------------------------------------------------------------

    def _files(self, principal: Principal, value: str) -> list[str]:
        """The ids of the files with hash ``value`` that ``principal`` may see (search's
        value index, through the policy); ``InvalidInput`` when there is none."""
        request = SearchRequest(value=check_file_hash(value), types=("file",))
        page = self._search.search(principal, request, limit=_MAX_FILES_PER_HASH)
        found = list(dict.fromkeys(v.id for v in page.items))
        if not found:
            raise InvalidInput(f"no file with hash {value} is visible to attach")
        return found

    def _is_visible(self, principal: Principal, object_id: str) -> bool:
        query = ObjectQuery(versions=("last",), limit=1)
        try:
            self._taxii.read_object(None, principal, object_id, query)
        except ObjectNotFound:
            return False
        return True

    def _visible(self, principal: Principal, object_id: str) -> None:
        if not self._is_visible(principal, object_id):
            raise InvalidInput(f"no object {object_id} is visible to attach")

    def _owned(self, principal: Principal, case_id: str) -> ShownCase:
        """The latest full version of a case the principal's org owns (and may see)."""
        _check_case_id(case_id)
        page = self._taxii.read_object(
            None, principal, case_id, ObjectQuery(versions=("last",), limit=1)
        )
        shown = [s for v in page.items if (s := _shown(v)) is not None]
        if not shown:
            raise ObjectNotFound(f"no case {case_id}")
        if shown[0].created_by_ref != principal.org:
            raise PermissionDenied(f"only the org that created case {case_id} may change it")
        # The stored version itself, never a copy with something left out.
        stored = self._store.get_versions(case_id, ("last",))
        return replace(shown[0], case=parse_case(stored[-1].to_json()))

    def _change(
        self, principal: Principal, case_id: str, change: Callable[[Case, int], Case]
    ) -> ShownCase:
        self._taxii.check_write(None, principal)
        with self._changing:
            return self._change_now(principal, case_id, change)

    def _change_now(
        self, principal: Principal, case_id: str, change: Callable[[Case, int], Case]
    ) -> ShownCase:
        owned = self._owned(principal, case_id)
        case = change(owned.case, self._clock.now_us())
        self._write(
            principal,
            [render_case(case, created_by_ref=principal.org, marking_refs=owned.marking_refs)],
        )
        return replace(owned, case=case)

    def _write(self, principal: Principal, objects: list[dict[str, Any]]) -> None:
        """Post ``objects`` as ``principal`` through the node's write path, after checking
        each is valid STIX (so that nothing is half-written over a bad one)."""
        for obj in objects:
            parse_object(obj)
        entries = self._taxii.add(
            objects, principal, collection=None, source=_SOURCE, source_name=_SOURCE
        )
        failed = [e for e in entries if e.outcome == "failed"]
        if failed:
            reasons = "; ".join(f"{e.id}: {e.message}" for e in failed)
            raise InvalidInput(f"the case was not stored: {reasons}")


def _check_case_id(case_id: str) -> None:
    if not is_valid_id(case_id, "grouping"):
        raise InvalidInput(f"{case_id!r} is not a case id (grouping--uuid, STIX 2.1 §2.9)")


def _ts_or_none(micros: int | None) -> str | None:
    return None if micros is None else format_timestamp_us(micros)


def case_document(shown: ShownCase, at_us: int) -> dict[str, Any]:
    """A case as JSON for the REST API and the command line; ``overdue`` as of ``at_us``."""
    case = shown.case
    return {
        "id": case.id,
        "incident_id": case.incident_id,
        "name": case.name,
        "description": case.description,
        "case_type": case.case_type.value,
        "stage": case.stage.value,
        "status": case.status,
        "resolution": None if case.resolution is None else case.resolution.value,
        "created": format_timestamp_us(case.created_us),
        "modified": format_timestamp_us(case.modified_us),
        "created_by_ref": shown.created_by_ref,
        "object_marking_refs": list(shown.marking_refs),
        "read_only": case.read_only,
        "merged_into": case.merged_into,
        "merged_from": list(case.merged_from),
        "refs": list(case.refs),
        "attached": list(case.attached),
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "owner": t.owner,
                "due": _ts_or_none(t.due_us),
                "done": _ts_or_none(t.done_us),
                "result": t.result,
                "overdue": t.is_overdue(at_us),
            }
            for t in case.tasks
        ],
        "notes": [
            {
                "id": n.id,
                "text": n.text,
                "author": n.author,
                "created": format_timestamp_us(n.created_us),
            }
            for n in case.notes
        ],
        "legal_hold": None if case.hold is None else _hold_document(case.hold),
        "legal_holds": [_hold_document(h) for h in case.holds],
        "preservation_requests": [
            {
                "reference": r.reference,
                "addressee": r.addressee,
                "sent": format_timestamp_us(r.sent_us),
                "pdf_sha256": r.pdf_sha256,
                "answer": None if r.answer is None else r.answer.value,
                "answered": _ts_or_none(r.answered_us),
                "preserved_until": _ts_or_none(r.preserved_until_us),
                "answer_note": r.answer_note,
            }
            for r in case.preservation
        ],
    }


def _hold_document(hold: LegalHold) -> dict[str, Any]:
    return {
        "placed_by": hold.placed_by,
        "placed": format_timestamp_us(hold.placed_us),
        "reason": hold.reason,
        "released_by": hold.released_by,
        "released": _ts_or_none(hold.released_us),
        "release_reason": hold.release_reason,
    }


def view_document(view: CaseView, at_us: int) -> dict[str, Any]:
    """One case with its timeline as JSON."""
    return {
        **case_document(view.shown, at_us),
        "versions": len(view.versions),
        "timeline": [
            {"at": format_timestamp_us(e.at_us), "event": e.kind.value, "detail": e.detail}
            for e in view.events
        ],
    }
