"""Abuse-report use cases: find the contact, draft the report, send it once the gate allows,
track what became of it, and re-check the target.

Every read goes through ``TaxiiService.read``/``read_object`` as the acting principal (the
one sharing policy): a report is drafted only from an indicator, sightings and a case the
principal may see, and only they go into its evidence. The record of a report is a STIX
``note`` (``entente.abuse.reports``) posted through ``TaxiiService.add``, so versioning,
provenance, ownership and federation apply unchanged, as for cases (ADR 0015).

Sending is gated: ``send`` calls the ``Gate`` it is given with the report exactly as it will
go out, before anything leaves; a gate that raises (``PermissionDenied``) stops the send and
nothing is written. ``approval_gate`` is the one the CLI uses (issue 15 item 1): the report
goes only under its approval request (``request_approval``), approved m-of-n for exactly its
bytes. Once sent, ``deadline`` says whether its provider answered within the ``[takedown]``
SLA.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from email.message import Message
from email.parser import BytesParser
from typing import Any, Protocol

import entente
from entente.abuse import (
    AbuseReport,
    AbuseSettings,
    ArfFields,
    ContactLookup,
    Deadline,
    Evidence,
    Party,
    Recheck,
    ReportFormat,
    ReportStatus,
    Resolver,
    StatusChange,
    TakedownSettings,
    Target,
    TargetKind,
    advance,
    build_arf,
    build_xarf,
    build_xarf_message,
    deadline,
    extension_definition,
    is_abuse_report,
    new_report,
    parse_original,
    parse_report,
    parse_target,
    recheck,
    render_report,
    render_xarf,
)
from entente.approvals import ActionType, Decision, Request
from entente.cases import merged_markings
from entente.clock import Clock
from entente.errors import (
    ConfigurationError,
    DeliveryFailed,
    InvalidInput,
    InvalidObject,
    NotApproved,
    ObjectNotFound,
    PermissionDenied,
)
from entente.ingest import Candidate
from entente.matching.model import ValueKind
from entente.matching.patterns import compile_pattern
from entente.services.approvals import ApprovalService
from entente.services.ingest import IngestService
from entente.services.taxii import TaxiiService
from entente.sharing import NodeContext, Principal, effective_tlp
from entente.stix import (
    Tlp,
    canonical_json,
    format_timestamp_us,
    is_valid_id,
    parse_object,
    tlp_of,
)
from entente.store import ObjectQuery, ObjectStore, Provenance, SourceKind, StoredVersion

__all__ = [
    "AbuseService",
    "ApprovalDesk",
    "ContactFinder",
    "DraftRequest",
    "Gate",
    "Relay",
    "approval_gate",
    "approval_state",
    "ensure_abuse_extension",
    "report_document",
]

# Called with the report exactly as it will be sent; raises (PermissionDenied) to refuse. What
# it returns (who approved) is kept with the report's ``approved`` step.
Gate = Callable[[AbuseReport], str | None]

_SOURCE = "abuse"
_EXTENSION_SOURCE = "entente built-in abuse report extension-definition"
_PAGE = 1000
# Term kinds a report can be about, most specific first (an address before a name).
_TARGET_KINDS = (ValueKind.IP, ValueKind.DOMAIN, ValueKind.URL, ValueKind.EMAIL)
_MARKABLE = frozenset({ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED})


class ContactFinder(Protocol):
    """Finds the abuse contacts of a target (``entente.abuse.rdap_client.RdapClient``)."""

    def find_contacts(self, target: Target) -> ContactLookup:
        """The contacts of ``target`` and the URL that answered."""
        ...


class ApprovalDesk(Protocol):
    """Where approval is asked and checked (``entente.services.approvals.ApprovalService``)."""

    def request(
        self,
        principal: Principal,
        action_type: ActionType,
        payload: bytes,
        *,
        summary: str,
        targets: Sequence[str],
        refs: Sequence[str],
        media_type: str = ...,
        required_orgs: Sequence[str] = ...,
        tlp: Tlp = ...,
        channel: str = ...,
    ) -> Request:
        """Ask for approval to send exactly ``payload``."""
        ...

    def require_approved(self, principal: Principal, request_id: str, payload: bytes) -> Decision:
        """The decision if it approves exactly ``payload``; ``NotApproved`` otherwise."""
        ...


def approval_gate(desk: ApprovalDesk, principal: Principal) -> Gate:
    """The four-eyes gate: a report goes only under its approval request, approved (m-of-n,
    ``[approvals.abuse-report]``) for exactly the bytes that are sent (issue 15 item 1)."""

    def gate(report: AbuseReport) -> str:
        if report.approval_request_id is None:
            raise NotApproved(
                f"abuse report {report.id} has no approval request: request approval first "
                "(`entente abuse request-approval`)"
            )
        decision = desk.require_approved(
            principal, report.approval_request_id, report.document.encode("utf-8")
        )
        names = ", ".join(sorted(f"{a.approver} ({a.approver_org})" for a in decision.counted))
        return f"approved under {report.approval_request_id} by {names}"

    return gate


def approval_state(desk: ApprovalService, principal: Principal, report: AbuseReport) -> str:
    """Where the report's approval stands, in words: ``approved``, ``pending: 1 more
    approval(s)``, ``rejected``, or ``not requested``."""
    if report.approval_request_id is None:
        return "not requested"
    try:
        shown = desk.status(principal, report.approval_request_id)
    except ObjectNotFound:
        return f"request {report.approval_request_id} not found"
    decision = shown.decision
    if shown.request.digest != report.sha256:
        return "requested for other bytes: request again"
    missing = decision.missing()
    return f"{decision.state.value}: {missing}" if missing else decision.state.value


class Relay(Protocol):
    """Delivers a report e-mail (``entente.abuse.smtp.SmtpRelay``)."""

    def deliver(self, message: Message) -> None:
        """Send it or raise ``DeliveryFailed``."""
        ...


@dataclass(frozen=True, slots=True)
class DraftRequest:
    """What to report: an indicator (and its case), in which format and under which X-ARF
    category and type (their own fields in ``fields``); ARF needs the ``original`` e-mail."""

    indicator_id: str
    report_format: ReportFormat = ReportFormat.XARF
    case_id: str | None = None
    category: str = "reputation"
    report_type: str = "threat_intelligence"
    fields: Mapping[str, Any] | None = None
    original: bytes | None = None
    feedback_type: str = "abuse"
    # More X-ARF evidence, e.g. the case's evidence package (``CaseEvidenceService.export``),
    # each sent with its SHA-256.
    attachments: Sequence[Evidence] = ()


def ensure_abuse_extension(store: ObjectStore, clock: Clock) -> None:
    """Store Entente's abuse-report ``extension-definition`` if it is missing (idempotent)."""
    candidate = Candidate(source=_EXTENSION_SOURCE, position="[0]", data=extension_definition())
    service = IngestService(store, clock, principal="system")
    provenance = Provenance(SourceKind.BUILTIN, _EXTENSION_SOURCE, "system")
    service.ingest_candidates([candidate], provenance, source=_EXTENSION_SOURCE)


def _object_tlp(obj: Mapping[str, Any], context: NodeContext) -> Tlp:
    """The TLP an object is held under as the sharing policy reads it (``effective_tlp``),
    its granular markings counted as if they covered the whole object (what is attached is
    the whole object); an unknown marking reads as RED, so the object stays home."""
    refs = [r for r in obj.get("object_marking_refs") or () if isinstance(r, str)]
    for granular in obj.get("granular_markings") or ():
        if isinstance(granular, Mapping) and isinstance(granular.get("marking_ref"), str):
            refs.append(granular["marking_ref"])
    level = effective_tlp(
        refs, context.default_marking, known_statement_markings=context.known_statement_markings
    )
    return Tlp.RED if level is None else level


def _target_of(indicator: Mapping[str, Any]) -> Target:
    """What an indicator's pattern is about: its first address, name, URL host or mailbox
    domain (the matcher's own reading of the pattern, ``entente.matching.patterns``)."""
    pattern = indicator.get("pattern")
    if indicator.get("pattern_type") != "stix" or not isinstance(pattern, str):
        raise InvalidInput(f"{indicator.get('id')}: only STIX-pattern indicators are reported")
    verdict = compile_pattern(pattern)
    for kind in _TARGET_KINDS:
        for term in verdict.terms:
            if term.kind is kind:
                return parse_target(term.value)
    raise InvalidInput(f"{indicator.get('id')}: its pattern names no address, domain or URL")


class AbuseService:
    """Abuse reports over the node's TAXII service (its one write path, its policy reads)."""

    def __init__(
        self,
        *,
        taxii: TaxiiService,
        store: ObjectStore,
        clock: Clock,
        settings: AbuseSettings,
        contacts: ContactFinder | None = None,
        relay: Relay | None = None,
        resolver: Resolver | None = None,
        takedown: TakedownSettings | None = None,
        referrers: Callable[[str], Sequence[str]] | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._taxii = taxii
        # Ids of the objects that reference an id (the graph index): a case's reports and an
        # indicator's sightings are found there; without it, by reading every note or
        # sighting (the reference twin the tests hold it to).
        self._referrers = referrers
        self._takedown = takedown or TakedownSettings()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._contacts = contacts
        self._relay = relay
        self._resolver = resolver
        self._new_id = new_id
        # One change of a report at a time (each writes the next version of its note).
        self._changing = threading.Lock()

    # -- contacts --------------------------------------------------------------------------

    def find_contacts(self, target: str) -> ContactLookup:
        """The abuse contacts of an address, a name, a URL's host or a mailbox's domain."""
        if self._contacts is None:
            raise ConfigurationError("no RDAP client: abuse contacts cannot be looked up")
        return self._contacts.find_contacts(parse_target(target))

    # -- reads -----------------------------------------------------------------------------

    def show(self, principal: Principal, report_id: str) -> AbuseReport:
        """One report as ``principal`` may see it (``ObjectNotFound`` otherwise)."""
        version = self._visible_version(principal, report_id)
        report = _report_of(version)
        if report is None:
            raise ObjectNotFound(f"no abuse report {report_id}")
        return report

    def list_reports(self, principal: Principal) -> list[AbuseReport]:
        """Every report ``principal`` may see, the latest change first."""
        query = ObjectQuery(types=("note",), versions=("last",), limit=_PAGE)
        found: list[AbuseReport] = []
        while True:
            page = self._taxii.read(None, principal, query)
            found.extend(r for v in page.items if (r := _report_of(v)) is not None)
            if page.next_cursor is None:
                break
            query = replace(query, after_cursor=page.next_cursor)
        return sorted(found, key=lambda r: (-r.modified_us, r.id))

    def for_case(self, principal: Principal, case_id: str) -> list[AbuseReport]:
        """The reports of a case (its takedown requests) that ``principal`` may see."""
        if self._referrers is None:
            return [r for r in self.list_reports(principal) if r.case_id == case_id]
        found = [
            report
            for version in self._visible_referrers(principal, case_id, "note--")
            if (report := _report_of(version)) is not None and report.case_id == case_id
        ]
        return sorted(found, key=lambda r: (-r.modified_us, r.id))

    def _visible_referrers(
        self, principal: Principal, object_id: str, prefix: str
    ) -> Iterator[StoredVersion]:
        """The latest visible version of each object of type ``prefix`` that references
        ``object_id`` (by the graph index); each read through the policy."""
        assert self._referrers is not None
        for oid in self._referrers(object_id):
            if oid.startswith(prefix):
                try:
                    yield self._visible_version(principal, oid)
                except ObjectNotFound:
                    continue

    def deadline(self, report: AbuseReport) -> Deadline:
        """Whether its provider answered within the ``[takedown]`` SLA, as of now."""
        return deadline(report, self._takedown, self._clock.now_us())

    def recheck(self, principal: Principal, report_id: str) -> Recheck:
        """Whether the target still resolves, and the sightings of its indicator (that the
        principal may see) last seen after the report went out."""
        if self._resolver is None:
            raise ConfigurationError("no DNS resolver configured for re-checks")
        report = self.show(principal, report_id)
        return recheck(
            report,
            resolver=self._resolver,
            sightings=self._sightings(principal, report.indicator_id),
            now_us=self._clock.now_us(),
        )

    # -- writes ----------------------------------------------------------------------------

    def draft(self, principal: Principal, request: DraftRequest) -> AbuseReport:
        """Build and validate a report about a visible indicator, addressed to the first
        abuse contact RDAP names for its target, and record it as a draft."""
        self._taxii.check_write(None, principal)
        indicator_version = self._visible_version(principal, request.indicator_id)
        indicator = indicator_version.to_json()
        if indicator.get("type") != "indicator":
            raise InvalidInput(f"{request.indicator_id} is not an indicator")
        markings = [indicator_version.marking_refs]
        if request.case_id is not None:
            if not is_valid_id(request.case_id, "grouping"):
                raise InvalidInput(f"{request.case_id!r} is not a case id (grouping--uuid)")
            markings.append(self._visible_version(principal, request.case_id).marking_refs)
        target = _target_of(indicator)
        lookup = self.find_contacts(target.value)
        if not lookup.contacts:
            raise ObjectNotFound(f"RDAP ({lookup.url}) names no abuse contact for {target.value}")
        contact = lookup.contacts[0]
        now = self._clock.now_us()
        sightings = self._sightings(principal, request.indicator_id)
        # What leaves the coalition is limited by TLP ([abuse] evidence_tlp): an object above
        # it is not attached, and the draft's history says which were withheld, so the
        # approvers see what stays home beside exactly what goes.
        context = self._taxii.context()
        limit = self._settings.evidence_tlp
        withheld = [
            str(o["id"]) for o in (indicator, *sightings) if _object_tlp(o, context) > limit
        ]
        if request.report_format is ReportFormat.XARF:
            document = self._xarf(
                request,
                indicator,
                [s for s in sightings if str(s["id"]) not in withheld],
                target,
                include_indicator=indicator["id"] not in withheld,
            )
        else:
            document = self._arf(request, target, contact.email, now)
            withheld = []  # an ARF report attaches the original e-mail only
        report = new_report(
            report_id=f"note--{self._new_id()}",
            indicator_id=request.indicator_id,
            case_id=request.case_id,
            target=target,
            report_format=request.report_format,
            contact=contact,
            document=document,
            at_us=now,
            by=principal.id,
            detail=(
                f"withheld above TLP:{limit.label.upper()}: {', '.join(withheld)}"
                if withheld
                else ""
            ),
        )
        self._write(principal, report, merged_markings(markings, context.default_marking))
        return report

    def send(self, principal: Principal, report_id: str, gate: Gate) -> AbuseReport:
        """Send a draft (or a failed) report once ``gate`` allows it; record it sent, or
        failed when the relay refuses (``DeliveryFailed`` is raised after recording)."""
        self._taxii.check_write(None, principal)
        with self._changing:
            # The report and its approval first: an unknown report is a 404 and an unapproved
            # one a 403 whether or not a relay is configured.
            report, markings = self._owned(principal, report_id)
            if report.status not in {ReportStatus.DRAFT, ReportStatus.FAILED}:
                raise InvalidInput(f"abuse report {report_id} is already {report.status.value}")
            # Raises to refuse: nothing is sent or written then.
            approval = gate(report) or ""
            if self._relay is None:
                raise ConfigurationError("no SMTP relay: set [abuse] smtp_host in entente.toml")
            now = self._clock.now_us()
            approved = advance(
                report, ReportStatus.APPROVED, at_us=now, by=principal.id, detail=approval
            )
            message = self._message(approved, now)
            message_id = str(message["Message-ID"])
            try:
                self._relay.deliver(message)
            except DeliveryFailed as exc:
                failed = advance(
                    approved, ReportStatus.FAILED, at_us=now, by=principal.id, detail=str(exc)
                )
                self._write(principal, failed, markings)
                raise
            sent = advance(
                approved,
                ReportStatus.SENT,
                at_us=now,
                by=principal.id,
                detail=f"to {report.contact.email}",
                message_id=message_id,
            )
            self._write(principal, sent, markings)
            return sent

    def request_approval(
        self, principal: Principal, report_id: str, desk: ApprovalDesk, *, channel: str = "cli"
    ) -> AbuseReport:
        """Ask for approval to send a draft (or failed) report exactly as it stands; the
        request's id is kept on the report, where ``approval_gate`` finds it. Asking again
        replaces the request (the old one's approvals no longer count for this report)."""
        self._taxii.check_write(None, principal)
        with self._changing:
            report, markings = self._owned(principal, report_id)
            if report.status not in {ReportStatus.DRAFT, ReportStatus.FAILED}:
                raise InvalidInput(f"abuse report {report_id} is already {report.status.value}")
            refs = [report.id, report.indicator_id, *([report.case_id] if report.case_id else [])]
            media = "message/rfc822" if report.report_format is ReportFormat.ARF else None
            request = desk.request(
                principal,
                ActionType.ABUSE_REPORT,
                report.document.encode("utf-8"),
                summary=(
                    f"Send the {report.report_format.value.upper()} abuse report on "
                    f"{report.target.value} to {report.contact.email}"
                ),
                targets=[report.contact.email],
                refs=refs,
                media_type=media or "application/json",
                # The request carries the report itself: never less restricted than it.
                tlp=max([Tlp.AMBER, *(t for m in markings if (t := tlp_of(m)) is not None)]),
                channel=channel,
            )
            # The status stays; the step is recorded, later than the last (the note's next
            # version needs a later ``modified``, STIX 2.1 §3.6).
            step = StatusChange(
                report.status,
                max(self._clock.now_us(), report.modified_us + 1000),
                principal.id,
                f"approval requested: {request.id}",
            )
            changed = replace(
                report, approval_request_id=request.id, history=(*report.history, step)
            )
            self._write(principal, changed, markings)
            return changed

    def mark(
        self, principal: Principal, report_id: str, status: ReportStatus, detail: str = ""
    ) -> AbuseReport:
        """Record the abuse desk's answer: ``acknowledged`` or ``resolved``."""
        if status not in _MARKABLE:
            raise InvalidInput(f"a report is marked acknowledged or resolved, not {status.value}")
        self._taxii.check_write(None, principal)
        with self._changing:
            report, markings = self._owned(principal, report_id)
            changed = advance(
                report, status, at_us=self._clock.now_us(), by=principal.id, detail=detail
            )
            self._write(principal, changed, markings)
            return changed

    # -- building --------------------------------------------------------------------------

    def _reporter(self) -> Party:
        s = self._settings
        if not (s.reporter_org and s.reporter_email and s.reporter_domain):
            raise ConfigurationError(
                "set [abuse] reporter_org, reporter_email and reporter_domain in entente.toml"
            )
        return Party(s.reporter_org, s.reporter_email, s.reporter_domain)

    def _xarf(
        self,
        request: DraftRequest,
        indicator: Mapping[str, Any],
        sightings: Sequence[Mapping[str, Any]],
        target: Target,
        *,
        include_indicator: bool,
    ) -> str:
        # The X-ARF timestamp is when the abuse happened (the first sighting), not now.
        reporter = self._reporter()
        shown = [indicator] if include_indicator else []
        evidence = [
            *(
                Evidence("application/json", f"STIX 2.1 indicator {i['id']}", canonical_json(i))
                for i in shown
            ),
            *(
                Evidence(
                    "application/json",
                    f"STIX 2.1 sighting {s['id']} of the indicator",
                    canonical_json(s),
                )
                for s in sightings
            ),
        ]
        evidence.extend(request.attachments)
        fields = dict(request.fields or {})
        if (request.category, request.report_type) == ("reputation", "threat_intelligence"):
            kinds = indicator.get("indicator_types") or ["malicious-activity"]
            fields.setdefault("threat_type", str(kinds[0]))
        seen = [str(s.get("first_seen") or s.get("created")) for s in sightings]
        timestamp = min(seen) if seen else str(indicator.get("valid_from") or indicator["created"])
        report = build_xarf(
            report_id=str(uuid.UUID(self._new_id())),
            timestamp=timestamp,
            reporter=reporter,
            sender=reporter,
            source_identifier=target.value,
            category=request.category,
            report_type=request.report_type,
            evidence_source="threat_intelligence",
            evidence=evidence[:50],  # xarf-core.json: evidence maxItems 50
            # A withheld indicator lends no words either; the target and category say it.
            description=(
                str(indicator.get("description") or indicator.get("name") or "")
                if include_indicator
                else f"{request.category} / {request.report_type} on {target.value}"
            ),
            tags=[],
            fields=fields,
        )
        return render_xarf(report).decode("utf-8")

    def _arf(self, request: DraftRequest, target: Target, recipient: str, now_us: int) -> str:
        if request.original is None:
            raise InvalidInput("an ARF report needs the original e-mail (--original FILE)")
        original = parse_original(request.original)
        reporter = self._reporter()
        fields = ArfFields(
            feedback_type=request.feedback_type,
            user_agent=f"Entente/{entente.__version__}",
            source_ip=target.value if target.kind is TargetKind.IP else None,
            reported_domain=(target.value,) if target.kind is TargetKind.DOMAIN else (),
            arrival_date=original.get("Date"),
        )
        message = build_arf(
            fields=fields,
            original=original,
            sender=reporter.contact,
            recipient=recipient,
            subject=f"Abuse report: {target.value}",
            explanation=(
                f"{reporter.org} reports abusive e-mail from {target.value}. The original "
                "message is attached (RFC 5965 Abuse Reporting Format)."
            ),
            date=email.utils.format_datetime(_utc(now_us)),
            message_id=email.utils.make_msgid(domain=reporter.domain),
        )
        return message.as_string()

    def _message(self, report: AbuseReport, now_us: int) -> Message:
        if report.report_format is ReportFormat.ARF:
            # The stored document is the whole message, as approved.
            return BytesParser().parsebytes(report.document.encode("utf-8"))
        reporter = self._reporter()
        return build_xarf_message(
            report=report.document.encode("utf-8"),
            sender=reporter.contact,
            recipient=report.contact.email,
            subject=f"[X-ARF] Abuse report: {report.target.value}",
            explanation=(
                f"{reporter.org} reports abuse from {report.target.value}.\n"
                f"The X-ARF v4 report is attached (SHA-256 {report.sha256}).\n"
            ),
            date=email.utils.format_datetime(_utc(now_us)),
            message_id=email.utils.make_msgid(domain=reporter.domain),
        )

    # -- store -----------------------------------------------------------------------------

    def _visible_version(self, principal: Principal, object_id: str) -> StoredVersion:
        query = ObjectQuery(versions=("last",), limit=1)
        try:
            page = self._taxii.read_object(None, principal, object_id, query)
        except InvalidInput:
            raise ObjectNotFound(f"no object {object_id}") from None
        if not page.items:
            raise ObjectNotFound(f"no object {object_id}")
        return page.items[-1]

    def _sightings(self, principal: Principal, indicator_id: str) -> list[dict[str, Any]]:
        if self._referrers is not None:
            return sorted(
                (
                    obj
                    for version in self._visible_referrers(principal, indicator_id, "sighting--")
                    if (obj := version.to_json()).get("sighting_of_ref") == indicator_id
                ),
                key=lambda s: str(s["id"]),
            )
        query = ObjectQuery(types=("sighting",), versions=("last",), limit=_PAGE)
        found: list[dict[str, Any]] = []
        while True:
            page = self._taxii.read(None, principal, query)
            found.extend(
                obj
                for v in page.items
                if (obj := v.to_json()).get("sighting_of_ref") == indicator_id
            )
            if page.next_cursor is None:
                break
            query = replace(query, after_cursor=page.next_cursor)
        return sorted(found, key=lambda s: str(s["id"]))

    def _owned(self, principal: Principal, report_id: str) -> tuple[AbuseReport, tuple[str, ...]]:
        """The latest full version of a report the principal's org made (and may see)."""
        version = self._visible_version(principal, report_id)
        if _report_of(version) is None:
            raise ObjectNotFound(f"no abuse report {report_id}")
        if version.created_by_ref != principal.org:
            raise PermissionDenied(f"only the org that drafted {report_id} may change it")
        stored = self._store.get_versions(report_id, ("last",))
        return parse_report(stored[-1].to_json()), stored[-1].marking_refs

    def _write(self, principal: Principal, report: AbuseReport, markings: tuple[str, ...]) -> None:
        ensure_abuse_extension(self._store, self._clock)
        note = render_report(report, created_by_ref=principal.org, marking_refs=markings)
        parse_object(note)
        entries = self._taxii.add(
            [note], principal, collection=None, source=_SOURCE, source_name=_SOURCE
        )
        failed = [e for e in entries if e.outcome == "failed"]
        if failed:
            reasons = "; ".join(f"{e.id}: {e.message}" for e in failed)
            raise InvalidInput(f"the abuse report was not stored: {reasons}")


def _report_of(version: StoredVersion) -> AbuseReport | None:
    obj = version.to_json()
    if not is_abuse_report(obj):
        return None
    try:
        return parse_report(obj)
    except InvalidObject:
        return None


def _utc(micros: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(micros / 1_000_000, tz=dt.UTC)


def report_document(report: AbuseReport, due: Deadline | None = None) -> dict[str, Any]:
    """A report as JSON for the CLI and REST: its record, without the document itself, and
    where it stands against its provider's SLA when ``due`` is given."""
    document: dict[str, Any] = {
        "id": report.id,
        "indicator": report.indicator_id,
        "case": report.case_id,
        "target": report.target.value,
        "target_kind": report.target.kind.value,
        "format": report.report_format.value,
        "status": report.status.value,
        "contact": {
            "email": report.contact.email,
            "name": report.contact.name,
            "handle": report.contact.handle,
            "source": report.contact.source,
            "reason": report.contact.reason,
            "provider": report.contact.provider,
        },
        "sha256": report.sha256,
        "approval_request": report.approval_request_id,
        "message_id": report.message_id,
        "history": [
            {
                "status": c.status.value,
                "at": format_timestamp_us(c.at_us),
                "by": c.by,
                "detail": c.detail,
            }
            for c in report.history
        ],
    }
    if due is not None:
        document["sla"] = {
            "provider": due.provider,
            "hours": due.sla_hours,
            "due": None if due.due_us is None else format_timestamp_us(due.due_us),
            "state": due.state.value,
        }
    return document
