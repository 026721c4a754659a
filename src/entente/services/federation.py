"""Federation use cases: partners, agreements, and pulling partners' objects (sync).

Sync pulls each partner's readable collection page by page (TAXII 2.1 §5.4 with §3.5 paging)
and applies a page before it records the page's ``X-TAXII-Date-Added-Last`` as the checkpoint
of that collection. A crash before the checkpoint is written makes the next run read that page
again, and applying it again is idempotent (every version already held is a duplicate): so a
run killed at any point resumes without loss and without duplicates. Cycles (A→B→C→A)
terminate the same way: a version coming back is a duplicate, and nothing new is stored.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from entente.clock import Clock
from entente.errors import EntenteError, InvalidInput, ObjectNotFound
from entente.federation import (
    NodeKey,
    PartnerCard,
    PublicKey,
    card_document,
    parse_card,
    parse_public_key,
)
from entente.federation.inbound import InboundContext, screen
from entente.ingest import Candidate
from entente.services.ingest import IngestService, Screened
from entente.services.node_signer import NodeSigner
from entente.services.prefetch import prefetched
from entente.services.tokens import org_identity_id
from entente.sharing import Agreement, effective_tlp, parse_agreement
from entente.stix import BUILTIN_MARKINGS, StixObject, Tlp, Unreadable, format_timestamp_us
from entente.store import (
    AgreementRecord,
    AgreementStore,
    Checkpoint,
    CheckpointStore,
    ObjectStore,
    PartnerRecord,
    PartnerStore,
    Provenance,
    SourceKind,
    SyncReport,
    SyncReportStore,
)

if TYPE_CHECKING:
    # Only named here: httpx (and, through its CLI, Rich) loads when sync connects, not for
    # every command that opens the node (bench/cli_startup.py).
    from entente.taxii.client import ObjectsPage, TaxiiClient

__all__ = [
    "FederationService",
    "NodeSigner",
    "SyncOutcome",
    "partner_name_of",
    "partner_status",
    "report_json",
]

# The collection every Entente node offers with all it may show (services.taxii); when a
# partner offers it, the narrower collections add nothing and are not pulled again.
_ALL_OBJECTS_TITLE = "All objects"
_MAX_REJECTIONS_KEPT = 200
_log = logging.getLogger(__name__)
_BUILTIN_IDS = frozenset(str(marking["id"]) for marking in BUILTIN_MARKINGS)
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def partner_status(partner: PartnerRecord) -> dict[str, Any]:
    """What may be shown of a partner (CLI and REST): never the token it holds for us."""
    if partner.last_sync_us is None:
        status = "never synced"
    elif partner.last_error:
        status = "failing"
    else:
        status = "ok"
    return {
        "name": partner.name,
        "org_name": partner.org_name,
        "org_id": partner.org_id,
        "api_root": partner.api_root,
        "public_key": partner.public_key,
        "status": status,
        "last_sync": (
            None if partner.last_sync_us is None else format_timestamp_us(partner.last_sync_us)
        ),
        "last_error": partner.last_error,
        "objects_received": partner.objects_received,
    }


def report_json(report: SyncReport) -> dict[str, Any]:
    """A stored sync report as JSON (CLI and REST)."""
    return {
        "report_id": report.report_id,
        "partner": report.partner,
        "started": format_timestamp_us(report.started_us),
        "finished": format_timestamp_us(report.finished_us),
        "added": report.added,
        "duplicates": report.duplicates,
        "new_versions": report.new_versions,
        "rejected": report.rejected,
        "error": report.error,
        "rejections": list(report.rejections),
    }


def partner_name_of(org_name: str) -> str:
    """A local handle for a partner org: its name with every other character as ``-``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", org_name).strip("-")[:64]
    return name or "partner"


@dataclass(slots=True)
class SyncOutcome:
    """What one sync run with one partner did."""

    partner: str
    started_us: int
    finished_us: int = 0
    collections: int = 0
    pages: int = 0
    added: int = 0
    duplicates: int = 0
    new_versions: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    corrected: int = 0
    equivocations: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The outcome as ``entente sync --json`` prints it."""
        return {
            "partner": self.partner,
            "collections": self.collections,
            "pages": self.pages,
            "added": self.added,
            "duplicates": self.duplicates,
            "new_versions": self.new_versions,
            "corrected": self.corrected,
            "rejected": list(self.rejected),
            "equivocations": list(self.equivocations),
            "error": self.error,
            "seconds": round((self.finished_us - self.started_us) / 1_000_000, 3),
        }


class FederationService:
    """Partners, agreements and sync for one node."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        partners: PartnerStore,
        agreements: AgreementStore,
        checkpoints: CheckpointStore,
        reports: SyncReportStore,
        clock: Clock,
        org_name: str,
        key: NodeKey,
        default_marking: Tlp,
        connect: Callable[[PartnerRecord], TaxiiClient],
    ) -> None:
        self._store = store
        self._partners = partners
        self._agreements = agreements
        self._checkpoints = checkpoints
        self._reports = reports
        self._clock = clock
        self._org_name = org_name
        self._org_id = org_identity_id(org_name)
        self._key = key
        self._default_marking = default_marking
        self._connect = connect

    @property
    def org_id(self) -> str:
        """This node's org identity id."""
        return self._org_id

    # -- partner cards and partners --------------------------------------------------------

    def card(self, taxii_url: str, api_root: str) -> dict[str, Any]:
        """This node's signed partner card, to hand to partners out of band."""
        card = PartnerCard(
            org_name=self._org_name,
            org_id=self._org_id,
            public_key=self._key.public_key_text,
            taxii_url=taxii_url,
            api_root=api_root,
        )
        return card_document(card, self._key)

    def add_partner(
        self, card_data: Any, *, token: str, name: str | None = None, api_root: str | None = None
    ) -> PartnerRecord:
        """Register a partner from its card and the token it issued to this node."""
        card = parse_card(card_data)
        if card.org_id == self._org_id:
            raise InvalidInput("this card is this node's own: a node is not its own partner")
        if not token.strip():
            raise InvalidInput("--token: the token the partner issued to this node is required")
        handle = name or partner_name_of(card.org_name)
        if not _NAME.fullmatch(handle):
            raise InvalidInput(f"partner name {handle!r}: use 1-64 of A-Z a-z 0-9 . _ -")
        record = PartnerRecord(
            name=handle,
            org_id=card.org_id,
            org_name=card.org_name,
            public_key=card.public_key,
            api_root=api_root or card.api_root,
            token=token.strip(),
            added_us=self._clock.now_us(),
        )
        self._partners.add(record)
        return record

    def partners(self) -> Sequence[PartnerRecord]:
        """Every partner, by name."""
        return self._partners.list()

    def partner_keys(self) -> dict[str, PublicKey]:
        """Each partner org's public key, by org id: what their signatures verify under."""
        return {p.org_id: parse_public_key(p.public_key) for p in self._partners.list()}

    def remove_partner(self, name: str) -> None:
        """Forget a partner and its checkpoints (what it sent stays, with its provenance)."""
        if not self._partners.remove(name):
            raise ObjectNotFound(f"no partner named {name!r}")

    def checkpoints(self, partner: str | None = None) -> Sequence[Checkpoint]:
        """The sync checkpoints, of one partner or all."""
        return self._checkpoints.list(partner)

    def reports(self, partner: str | None = None, limit: int = 20) -> Sequence[SyncReport]:
        """The latest sync reports, newest first."""
        return self._reports.latest(partner, limit)

    # -- agreements ------------------------------------------------------------------------

    def add_agreement(self, data: Any) -> tuple[Agreement, bool]:
        """Store an agreement (replacing one with the same id); True if it is new."""
        agreement = parse_agreement(data, org_id=org_identity_id)
        if self._org_id not in agreement.parties:
            raise InvalidInput(
                f"parties: agreement {agreement.id!r} does not name this node's org "
                f"({self._org_name}, {self._org_id})"
            )
        document = orjson.dumps(agreement.to_json(), option=orjson.OPT_SORT_KEYS).decode()
        new = self._agreements.put(
            AgreementRecord(id=agreement.id, document=document, added_us=self._clock.now_us())
        )
        return agreement, new

    def agreements(self) -> list[Agreement]:
        """Every stored agreement."""
        return [
            parse_agreement(orjson.loads(record.document), org_id=org_identity_id)
            for record in self._agreements.list()
        ]

    def remove_agreement(self, agreement_id: str) -> None:
        """Withdraw an agreement: nothing flows under it any more."""
        if not self._agreements.remove(agreement_id):
            raise ObjectNotFound(f"no agreement {agreement_id!r}")

    # -- sync ------------------------------------------------------------------------------

    def sync(self, partner: str | None = None) -> list[SyncOutcome]:
        """Pull from one partner or from all; each outcome is also recorded as a report."""
        if partner is not None:
            record = self._partners.get(partner)
            if record is None:
                raise ObjectNotFound(f"no partner named {partner!r}")
            chosen: Iterable[PartnerRecord] = [record]
        else:
            chosen = self._partners.list()
        return [self._sync_one(record) for record in chosen]

    def _sync_one(self, partner: PartnerRecord) -> SyncOutcome:
        outcome = SyncOutcome(partner=partner.name, started_us=self._clock.now_us())
        try:
            self._pull(partner, outcome)
        except EntenteError as exc:
            # The partner is down or answered wrongly, or the store failed: what was applied
            # and checkpointed stays; the next run resumes from the checkpoints.
            outcome.error = str(exc)
        except Exception as exc:  # one partner's failure is that partner's alone
            # Anything unforeseen with this partner is its report's error, never the end of
            # the sync with the others (the "no poison pill").
            _log.exception("sync with partner %s failed", partner.name)
            outcome.error = f"internal error: {type(exc).__name__}: {exc}"[:500]
        outcome.finished_us = self._clock.now_us()
        # A partner removed while it synced: its report below still says what happened.
        with contextlib.suppress(ObjectNotFound):
            self._partners.record_sync(
                partner.name,
                at_us=outcome.finished_us,
                received=outcome.added + outcome.new_versions,
                error=outcome.error,
            )
        self._reports.add(
            SyncReport(
                report_id=None,
                partner=partner.name,
                started_us=outcome.started_us,
                finished_us=outcome.finished_us,
                added=outcome.added,
                duplicates=outcome.duplicates,
                new_versions=outcome.new_versions,
                rejected=len(outcome.rejected),
                error=outcome.error,
                rejections=tuple(outcome.rejected[:_MAX_REJECTIONS_KEPT]),
                corrected=outcome.corrected,
                equivocations=tuple(outcome.equivocations[:_MAX_REJECTIONS_KEPT]),
            )
        )
        return outcome

    def _pull(self, partner: PartnerRecord, outcome: SyncOutcome) -> None:
        now_us = self._clock.now_us()
        agreements = sorted(
            (
                a
                for a in self.agreements()
                if a.in_force(now_us) and a.binds(self._org_id, partner.org_id)
            ),
            key=lambda a: a.id,
        )
        if not agreements:
            raise InvalidInput(
                f"no agreement in force binds this node and {partner.org_name}: nothing may flow"
            )
        keys = {self._org_id: parse_public_key(self._key.public_key_text)}
        for known in self._partners.list():
            keys[known.org_id] = parse_public_key(known.public_key)
        context = InboundContext(
            node_org=self._org_id,
            sender_org=partner.org_id,
            keys=keys,
            default_marking=self._default_marking,
        )
        ingest = IngestService(self._store, self._clock, principal=partner.org_id)
        with self._connect(partner) as client:
            readable = [c for c in client.collections(partner.api_root) if c.can_read]
            everything = [c for c in readable if c.title == _ALL_OBJECTS_TITLE]
            collections = everything or readable
            for collection in collections:
                outcome.collections += 1
                checkpoint = self._checkpoints.get(partner.name, collection.id)
                start = checkpoint.added_after if checkpoint is not None else None
                # The partner renders the next page while this node applies the last one
                # (``prefetched``); closing joins the reader before the client is used again.
                pages = prefetched(
                    client.object_pages(partner.api_root, collection.id, added_after=start),
                    depth=2,
                )
                with contextlib.closing(pages):
                    self._pull_pages(
                        partner,
                        collection.id,
                        start,
                        pages,
                        agreements=agreements,
                        context=context,
                        ingest=ingest,
                        outcome=outcome,
                    )

    def _pull_pages(
        self,
        partner: PartnerRecord,
        collection_id: str,
        start: str | None,
        pages: Iterator[ObjectsPage],
        *,
        agreements: Sequence[Agreement],
        context: InboundContext,
        ingest: IngestService,
        outcome: SyncOutcome,
    ) -> None:
        """Apply each page and checkpoint after it (``start``: the checkpoint read from)."""
        for page in pages:
            outcome.pages += 1
            self._apply(
                partner,
                page.items,
                agreements=agreements,
                context=context,
                ingest=ingest,
                outcome=outcome,
            )
            if page.date_added_last is not None and page.date_added_last != start:
                # Durable only after the page is: a crash in between re-reads it.
                self._checkpoints.save(
                    Checkpoint(
                        partner=partner.name,
                        collection_id=collection_id,
                        added_after=page.date_added_last,
                        next_cursor=None,
                        updated_us=self._clock.now_us(),
                    )
                )
                start = page.date_added_last

    def _apply(
        self,
        partner: PartnerRecord,
        items: Sequence[Any],
        *,
        agreements: Sequence[Agreement],
        context: InboundContext,
        ingest: IngestService,
        outcome: SyncOutcome,
    ) -> None:
        """Store one page: each object under the agreement it may arrive under."""
        groups: dict[str, list[Candidate]] = {}
        source = f"partner:{partner.name}"
        for position, raw in enumerate(items):
            if isinstance(raw, Unreadable):
                # Too deep to decode, not an object: refused alone (the page still applies).
                outcome.rejected.append({"id": "", "reason": raw.reason})
                continue
            object_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""
            if object_id in _BUILTIN_IDS:
                outcome.duplicates += 1  # every node holds the built-in TLP definitions
                continue
            chosen = self._inbound_agreement(raw, agreements)
            if isinstance(chosen, str):
                outcome.rejected.append({"id": object_id, "reason": chosen})
                continue
            groups.setdefault(chosen.id, []).append(Candidate(source, str(position), raw))
        screener = partial(_screen, context=context)
        for agreement_id, candidates in groups.items():
            summary = ingest.ingest_candidates(
                candidates,
                Provenance(
                    SourceKind.PARTNER,
                    partner.name,
                    partner.org_id,
                    agreement_id,
                    org=partner.org_id,
                ),
                source=source,
                screen=screener,
            )
            outcome.added += summary.added
            outcome.duplicates += summary.duplicates
            outcome.new_versions += summary.new_versions
            outcome.corrected += summary.corrected
            outcome.equivocations.extend(
                {"id": item.id or "", "reason": item.reason} for item in summary.equivocations
            )
            for item in summary.equivocations:
                _log.warning("sync from %s: %s", partner.name, item.reason)
            outcome.rejected.extend(
                {"id": rejection.id or "", "reason": rejection.reason}
                for rejection in summary.rejected
            )

    def _inbound_agreement(self, raw: Any, agreements: Sequence[Agreement]) -> Agreement | str:
        """The first agreement (by id) this object may arrive under, or why none applies."""
        if not isinstance(raw, dict):
            return "not a JSON object"
        kind = raw.get("type")
        refs = raw.get("object_marking_refs", [])
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            return "object_marking_refs: not a list of marking ids"
        level = effective_tlp(refs, self._default_marking)
        if level is None:
            return "carries a marking unknown here: no agreement can be shown to allow it"
        if level is Tlp.RED:
            return "TLP:RED never travels by sync: the sender broke its agreement"
        for agreement in agreements:
            if level > agreement.max_tlp:
                continue
            if agreement.object_types is not None and kind not in agreement.object_types:
                continue
            return agreement
        return (
            f"no agreement with this partner allows a {kind} at TLP:{level.label.upper()}: "
            "the sender broke its agreement"
        )


def _screen(
    obj: StixObject, held: Sequence[StixObject], *, context: InboundContext
) -> Screened | None:
    accepted = screen(obj, held, context)
    if accepted is None:
        return None
    return Screened(accepted.obj, accepted.creator_signed, accepted.equivocation)
