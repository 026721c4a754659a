"""A case's attribution, hypotheses and evidence package: the case pillar wired together.

Issue 14 items 2 to 4 over one case:

- ``attribute`` scores an ACH matrix (``services.attribution``) for the case's incident,
  stores the ``attributed-to`` relationship through the node's one write path
  (``TaxiiService.add`` as the analyst, as REST POST does) and references it from the case,
  so that it federates with the case under the agreements like every other object;
- ``hypotheses`` offers the ATT&CK-overlap ranking for the techniques the case references
  (attack-pattern objects the reader may see): hypotheses to weigh, never asserted;
- ``export`` builds the evidence package for one recipient org. Everything in it is read
  through the one sharing policy as that org's partner principal
  (``services.recipients.partner_audience``), so it holds exactly what the org would receive
  over TAXII, redacted as agreed (``TaxiiService.read_object`` returns the copy the policy
  releases), and names the agreement between this node and that org as its authorisation.
  The export itself is a custody event, recorded before the package is built so that the
  package's custody log ends with it.

What the package says beside the STIX objects is read as the recipient too, since every
file of it reaches the recipient (``tests/unit/services/test_case_evidence_leak.py`` checks
each file against the policy oracle for recipients of every agreement):

- the case is the one the recipient is released: the case itself when the policy releases it,
  else its shared copy (``services.cases.share``: the tasks and notes the sender chose), else
  nothing is exported (refused before any custody entry is made). The title, the report, the
  timeline and the investigative actions come from that case as the recipient is shown it
  (``CaseService.show`` as the partner principal), so they name no task, note, version or
  referenced object the recipient may not see;
- a case's ``grouping`` in the bundle names only the objects the recipient may see
  (``object_refs``, the extension's attachment and merge links): over TAXII it would carry
  every id the case references, but a package is read by people outside the coalition (a
  court, an agency) and states exactly what the recipient holds;
- the custody log keeps every entry (its ``seq`` and ``audit_hash`` tie each line to the
  node's signed log; a log with holes would not be a custody log) but each names only the
  objects released to the recipient and only the agreements it is party to; a detail naming
  anything else (another recipient's org, a withheld id) is left out. As in exports
  (``services.export``), nothing withheld is described, not even by a count.

The custody log in a package is the evidence format (``evidence.custody``: ``prev``/``hash``
over RFC 8785 canonical JSON), one format that ``verify_package`` checks. The node's own log
(``entente.audit``, signed checkpoints by the node key) is converted entry by entry: each
package entry carries the audit entry's sequence number and hash, so a recipient holding the
node's log can match them, and the whole package is signed by the same node key (DSSE), which
covers the converted log as it covers every file. The node log is verified before it is
converted: a broken or unsigned custody log is never exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from entente.attribution import AchResult, Ranking
from entente.audit import Entry
from entente.cases import EXTENSION_ID, Case, is_case, shared_copy_ids
from entente.cases import attach as attach_to_case
from entente.clock import Clock
from entente.errors import (
    ConfigurationError,
    EntenteError,
    InvalidInput,
    ObjectNotFound,
    PermissionDenied,
)
from entente.evidence import (
    Authorization,
    EvidenceInput,
    Exhibit,
    InvestigativeAction,
    TrustedKey,
    TrustRoot,
)
from entente.evidence.custody import chain
from entente.evidence.verify import verify_package
from entente.evidence.writer import Timestamper, build_package
from entente.federation.keys import NodeKey
from entente.services.attribution import AttributionService
from entente.services.audit_log import AuditLog
from entente.services.cases import CaseService, CaseView, custody_draft
from entente.services.graph import GraphService
from entente.services.recipients import is_node_operator, partner_audience
from entente.services.taxii import TaxiiService
from entente.services.visibility import Visibility
from entente.sharing import Agreement, Principal
from entente.stix import format_timestamp_us
from entente.store import ObjectQuery

__all__ = [
    "TASK_PROPERTY",
    "Attributed",
    "CaseEvidenceService",
    "TsaConfig",
    "custody_for_package",
]

_SOURCE = "cases"
# A partner's result for a shared task: a STIX note (§4.8) whose ``object_refs`` name the
# shared copy of the case and whose custom property (§11.1) names the task.
TASK_PROPERTY = "x_entente_case_task"


@dataclass(frozen=True, slots=True)
class TsaConfig:
    """The configured time-stamping authority: how to ask it, and its certificate chain."""

    timestamper: Timestamper
    chain_pem: bytes


@dataclass(frozen=True, slots=True)
class Attributed:
    """An ACH assessment stored with its case: the result and the relationship stored."""

    result: AchResult
    relationship: dict[str, Any]


# A STIX id anywhere in a detail's text (STIX 2.1 §2.9: type, "--", a UUID).
_STIX_ID = re.compile(r"[a-z0-9][a-z0-9-]*--[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def custody_for_package(
    entries: Sequence[Entry],
    *,
    may_name: Callable[[str], bool],
    agreements: Collection[str],
) -> list[dict[str, Any]]:
    """The node's custody entries in the package's chain format (``evidence.custody``), each
    naming only the ids ``may_name`` allows and only the ``agreements`` given; a detail whose
    text names any other id is left out."""

    def details(entry: Entry) -> dict[str, Any]:
        return {
            name: value
            for name, value in entry.details.items()
            if not isinstance(value, str) or all(map(may_name, _STIX_ID.findall(value)))
        }

    return chain(
        [
            {
                "seq": entry.seq,
                "at": format_timestamp_us(entry.time_us),
                "actor": entry.actor.id,
                "org": entry.actor.org,
                "role": entry.actor.role,
                "event": entry.action,
                "channel": entry.channel,
                "objects": [oid for oid in entry.object_ids if may_name(oid)],
                "agreements": [a for a in entry.agreements if a in agreements],
                "details": details(entry),
                "audit_hash": entry.hash,
            }
            for entry in entries
        ]
    )


def _screened_case(obj: dict[str, Any], may_name: Callable[[str], bool]) -> dict[str, Any] | None:
    """A case's released ``grouping`` naming only ids ``may_name`` allows; ``None`` when no
    reference would be left (``object_refs`` may not be empty, STIX 2.1 §4.7)."""
    refs = [r for r in obj.get("object_refs") or () if isinstance(r, str) and may_name(r)]
    if not refs:
        return None
    ext = dict(obj["extensions"][EXTENSION_ID])
    for name in ("attached_refs", "merged_from_refs"):
        if name in ext:
            kept = [r for r in ext[name] if isinstance(r, str) and may_name(r)]
            if kept:
                ext[name] = kept
            else:
                del ext[name]  # an empty list is not written (STIX 2.1 §3.3)
    merged_into = ext.get("merged_into_ref")
    if isinstance(merged_into, str) and not may_name(merged_into):
        del ext["merged_into_ref"]
    return {**obj, "object_refs": refs, "extensions": {**obj["extensions"], EXTENSION_ID: ext}}


def _technique_ids(view: CaseView) -> list[str]:
    return [ref for ref in view.shown.case.refs if ref.startswith("attack-pattern--")]


class CaseEvidenceService:
    """Attribution, hypotheses and evidence export for cases, through the sharing policy."""

    def __init__(
        self,
        *,
        cases: CaseService,
        taxii: TaxiiService,
        attribution: AttributionService,
        graph: GraphService,
        audit: AuditLog,
        node_key: NodeKey,
        node_name: str,
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._taxii = taxii
        self._attribution = attribution
        self._graph = graph
        self._audit = audit
        self._key = node_key
        self._node_name = node_name
        self._clock = clock

    # -- attribution -----------------------------------------------------------------------

    def attribute(
        self, principal: Principal, case_id: str, matrix: Mapping[str, Any], *, channel: str
    ) -> Attributed:
        """Score ``matrix`` for the case's incident, store its ``attributed-to`` relationship
        and reference it from the case (which records the custody event "acquired").

        Only the case's own org changes it; the checks (role, ownership, every id of the
        matrix visible, the relationship valid STIX) all come before anything is written."""
        self._cases.check_write(principal)
        view = self._cases.show(principal, case_id)
        if view.shown.created_by_ref != principal.org:
            raise PermissionDenied(f"only the org that created case {case_id} may change it")
        _, result, relationship = self._attribution.assess(
            principal, view.shown.case.incident_id, matrix
        )
        # The case must take the reference (open, not merged away) before anything is
        # stored: a relationship stored for a case that then refuses it would be half done.
        attach_to_case(
            view.shown.case, [str(relationship["id"])], self._clock.now_us(), as_evidence=False
        )
        entries = self._taxii.add(
            [relationship], principal, collection=None, source=_SOURCE, source_name=_SOURCE
        )
        failed = [e for e in entries if e.outcome == "failed"]
        if failed:
            raise InvalidInput(f"the attribution was not stored: {failed[0].message}")
        self._cases.attach(principal, case_id, [str(relationship["id"])], channel=channel)
        return Attributed(result, relationship)

    def hypotheses(self, principal: Principal, case_id: str) -> Ranking:
        """Intrusion sets ranked by the ATT&CK techniques the case references (those the
        reader may see), best first: hypotheses, never an attribution."""
        view = self._cases.show(principal, case_id)
        techniques = _technique_ids(view)
        if not techniques:
            raise InvalidInput(
                f"case {case_id} references no ATT&CK technique (attack-pattern) to rank by"
            )
        return self._attribution.rank(principal, techniques)

    def visible_objects(
        self, principal: Principal, ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Each of ``ids`` that ``principal`` may see, as its latest version the policy
        releases (the redacted copy where the agreements redact); ids it may not see, or that
        do not exist, are absent alike. What the attribution page names its hypotheses,
        evidence and earlier attributions by."""
        visibility = Visibility(principal, self._taxii.context())
        shown = self._graph.latest_visible(list(dict.fromkeys(ids)), visibility)
        return {oid: release.version.to_json() for oid, release in shown.items()}

    # -- partners' task results -----------------------------------------------------------

    def fold_results(
        self, principal: Principal, case_id: str, *, channel: str
    ) -> list[tuple[str, str]]:
        """Complete each open shared task of the case that a partner answered.

        A partner contributes STIX-natively: it stores a note referencing the shared copy
        of the case (the copy it received) with ``x_entente_case_task`` naming a task of
        that copy; the note reaches this node by sync like any object, under the
        agreements. Only notes this principal may see count (read through the policy), only
        from another org, only for tasks the shared copy carries and the case has open.
        Each fold is a custody event ("acquired", the note). Returns (task id, note id).
        """
        self._cases.check_write(principal)
        view = self._cases.show(principal, case_id)
        if view.shown.created_by_ref != principal.org:
            raise PermissionDenied(f"only the org that created case {case_id} may change it")
        shared_id, _ = shared_copy_ids(view.shown.case)
        try:
            shared = self._cases.show(principal, shared_id)
        except ObjectNotFound:
            raise InvalidInput(f"case {case_id} has not been shared: no task to answer") from None
        shared_tasks = {t.id for t in shared.shown.case.tasks}
        open_tasks = {t.id for t in view.shown.case.tasks if not t.done}
        referring, _ = self._graph.referrers(shared_id, bound=None)
        notes = [r for r in referring if r.startswith("note--")]
        visibility = Visibility(principal, self._taxii.context())
        folded: list[tuple[str, str]] = []
        for note_id, release in sorted(self._graph.latest_visible(notes, visibility).items()):
            note = release.version.to_json()
            task = note.get(TASK_PROPERTY)
            author = release.version.created_by_ref
            if (
                not isinstance(task, str)
                or task not in shared_tasks
                or task not in open_tasks
                or author in (None, principal.org)
                or shared_id not in (note.get("object_refs") or ())
            ):
                continue
            result = f"{note.get('content', '')} (from {author}, {note_id})"
            self._cases.complete_task(principal, case_id, task, result=result)
            self._cases.attach(principal, case_id, [note_id], channel=channel)
            open_tasks.discard(task)
            folded.append((task, note_id))
        return folded

    # -- evidence export -------------------------------------------------------------------

    def _agreement(self, recipient_org: str) -> Agreement:
        ctx = self._taxii.context()
        bound = sorted(
            (a for a in ctx.agreements if a.binds(ctx.node_org, recipient_org)),
            key=lambda a: a.id,
        )
        if not bound:
            raise InvalidInput(
                f"no agreement in force between this node and {recipient_org}: "
                "nothing may be exported to it"
            )
        return bound[0]

    def _recipient_view(self, audience: Principal, original: Case, recipient_org: str) -> CaseView:
        """The case as the recipient is shown it: the case itself, else its shared copy; a
        recipient released neither is sent nothing of the case (``InvalidInput``)."""
        for candidate in (original.id, shared_copy_ids(original)[0]):
            try:
                return self._cases.show(audience, candidate)
            except ObjectNotFound:
                continue
        raise InvalidInput(
            f"case {original.id} is not released to {recipient_org}, nor a shared copy of it: "
            "nothing of it may be exported to that org"
        )

    def export_recipients(self) -> list[tuple[str, Agreement]]:
        """(org id, agreement) for each org an export may go to: every other party of an
        agreement in force with this node, with the agreement an export to it names."""
        ctx = self._taxii.context()
        orgs = sorted(
            {
                party
                for a in ctx.agreements
                for party in a.parties
                if party != ctx.node_org and a.binds(ctx.node_org, party)
            }
        )
        return [(org, self._agreement(org)) for org in orgs]

    def _released(self, audience: Principal, object_id: str) -> dict[str, Any] | None:
        """The latest version ``audience`` is released, as the copy it is sent; else None."""
        query = ObjectQuery(versions=("last",), limit=1)
        try:
            page = self._taxii.read_object(None, audience, object_id, query)
        except ObjectNotFound:
            return None
        return page.items[-1].to_json() if page.items else None

    def export(
        self,
        principal: Principal,
        case_id: str,
        recipient_org: str,
        *,
        recipient_name: str,
        tsa: TsaConfig | None,
        channel: str,
    ) -> bytes:
        """The evidence package of ``case_id`` for ``recipient_org`` (a tar's bytes).

        Only the node's own admins and analysts export (a node operation). ``tsa`` None is
        refused: a package without its RFC 3161 timestamp would fail every verification.
        """
        ctx = self._taxii.context()
        if not is_node_operator(principal, ctx.node_org):
            raise PermissionDenied("only the node's own admins and analysts export evidence")
        if tsa is None:
            raise ConfigurationError(
                "no time-stamping authority configured: set tsa_url and tsa_chain_file "
                "(ENTENTE_TSA_URL, ENTENTE_TSA_CHAIN)"
            )
        # The exporter must see the case; the recipient is sent the case it is released.
        original = self._cases.show(principal, case_id).shown.case
        agreement = self._agreement(recipient_org)
        audience = partner_audience(recipient_org)
        view = self._recipient_view(audience, original, recipient_org)
        case = view.shown.case
        seen: dict[str, dict[str, Any] | None] = {}

        def released_copy(oid: str) -> dict[str, Any] | None:
            if oid not in seen:
                seen[oid] = self._released(audience, oid)
            return seen[oid]

        def may_name(oid: str) -> bool:
            return oid == recipient_org or released_copy(oid) is not None

        # The case, its shared copy (what partners receive of it) and what it references.
        wanted = list(
            dict.fromkeys(
                [original.id, original.incident_id, *shared_copy_ids(original), *case.refs]
            )
        )
        released: dict[str, dict[str, Any]] = {}
        for oid in wanted:
            obj = released_copy(oid)
            if obj is not None and is_case(obj):
                obj = _screened_case(obj, may_name)
            if obj is not None:
                released[oid] = obj
        exhibits, artifacts = self._exhibits(case.attached, released)
        # The export is a custody event; recorded first so that the package's log ends with it.
        self._cases.record_custody(
            case_id,
            [
                custody_draft(
                    principal,
                    "exported",
                    channel,
                    sorted(released),
                    agreements=[agreement.id],
                    details={"recipient": recipient_org},
                )
            ],
        )
        verdict = self._audit.verify(f"case:{case_id}")
        if verdict.failure is not None:
            raise InvalidInput(f"the custody log of {case_id} does not verify: refusing to export")
        custody = custody_for_package(
            self._audit.custody_entries(case_id),
            may_name=may_name,
            agreements={a.id for a in ctx.agreements if a.binds(ctx.node_org, recipient_org)},
        )
        created = format_timestamp_us(self._clock.now_us())
        evidence = EvidenceInput(
            case_id=case.incident_id,
            title=case.name,
            case_type=case.case_type.value,
            authorization=Authorization(agreement.id, agreement.name),
            actions=self._actions(view, principal, exhibits, created, recipient_name),
            exhibits=tuple(exhibits),
            stix_objects=tuple(released[oid] for oid in sorted(released)),
            artifacts=artifacts,
            custody=tuple(custody),
            report_markdown=self._report(view, agreement, recipient_name, exhibits, released),
            created=created,
            recipient=recipient_name,
        )
        trust = TrustRoot(
            (TrustedKey(self._node_name, self._key.public_key),),
            1,
            TrustedKey(self._node_name, self._key.public_key).keyid,
        )
        try:
            package = build_package(
                evidence,
                node_key=self._key,
                trust=trust,
                timestamper=tsa.timestamper,
                tsa_chain_pem=tsa.chain_pem,
            )
            # A package that would fail its recipient's check is never handed out (a TSA
            # that answered with no valid token, say). CASE validation is the recipient's
            # ``entente evidence verify`` (it runs ``case_validate``, seconds per package).
            report = verify_package(package, case_validator=lambda _graph: None)
            if not report.passed:
                failed = "; ".join(f"{c.subject}: {c.detail}" for c in report.failures)
                raise ConfigurationError(f"the package would not verify: {failed}")
            return package
        except EntenteError as exc:
            # The log is append-only: an export that did not complete says so after the
            # "exported" entry it made, rather than leaving that entry unexplained.
            self._cases.record_custody(
                case_id,
                [
                    custody_draft(
                        principal,
                        "export-failed",
                        channel,
                        agreements=[agreement.id],
                        details={"recipient": recipient_org, "reason": str(exc)[:200]},
                    )
                ],
            )
            raise

    @staticmethod
    def _exhibits(
        attached: Sequence[str], released: Mapping[str, dict[str, Any]]
    ) -> tuple[list[Exhibit], dict[str, bytes]]:
        """One numbered exhibit per attached object released to the recipient: its STIX JSON
        as an artifact file (canonical bytes, so the same object gives the same digest)."""
        exhibits: list[Exhibit] = []
        artifacts: dict[str, bytes] = {}
        for oid in attached:
            obj = released.get(oid)
            if obj is None:
                continue
            number = f"E-{len(exhibits) + 1}"
            name = f"{number}-{oid}.json"
            artifacts[name] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
            exhibits.append(Exhibit(number, name, f"{obj.get('type')} {oid}"))
        return exhibits, artifacts

    def _actions(
        self,
        view: CaseView,
        principal: Principal,
        exhibits: Sequence[Exhibit],
        created: str,
        recipient: str,
    ) -> tuple[InvestigativeAction, ...]:
        """The case timeline's events as investigative actions, then the export itself."""
        actions = [
            InvestigativeAction(
                name=f"{event.kind.value}: {event.detail}"[:200],
                performer=self._node_name,
                start_time=format_timestamp_us(event.at_us),
                end_time=format_timestamp_us(event.at_us),
            )
            for event in view.events
        ]
        actions.append(
            InvestigativeAction(
                name=f"Export of the evidence for {recipient}",
                performer=f"{principal.id} ({self._node_name})",
                start_time=created,
                end_time=created,
                exhibits=tuple(e.number for e in exhibits),
            )
        )
        return tuple(actions)

    def _report(
        self,
        view: CaseView,
        agreement: Agreement,
        recipient: str,
        exhibits: Sequence[Exhibit],
        released: Mapping[str, dict[str, Any]],
    ) -> str:
        case = view.shown.case
        lines = [
            f"# {case.name}",
            "",
            f"Case {case.id} ({case.case_type.value}), {case.stage.value}: {case.status}.",
            f"Prepared by {self._node_name} for {recipient} under agreement "
            f"{agreement.name} ({agreement.id}).",
            "",
            "## Exhibits",
            "",
            *(f"- {e.number}: {e.description}" for e in exhibits),
            "",
            "## Attribution",
            "",
        ]
        attributions = [
            obj
            for oid, obj in sorted(released.items())
            if oid.startswith("relationship--") and obj.get("relationship_type") == "attributed-to"
        ]
        lines.extend(
            f"- {obj['source_ref']} attributed to {obj['target_ref']}, confidence "
            f"{obj.get('confidence', 'not stated')}"
            for obj in attributions
        )
        if not attributions:
            lines.append("- none released to this recipient")
        lines += ["", "## Timeline", ""]
        lines.extend(
            f"- {format_timestamp_us(e.at_us)} {e.kind.value}: {e.detail}" for e in view.events
        )
        return "\n".join(lines) + "\n"
