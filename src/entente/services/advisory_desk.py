"""Drafted joint advisories kept on the author's node between drafting and publishing.

Issue 15 items 4 and 6 (REST and the UI): the CLI writes a drafted package to a file the
operator keeps; a server keeps it for them. The package is not an approval request's payload:
what is approved is its signed Statement (``services.advisory_publication``), which stays
small and is the same for every co-signed copy. So the desk keeps each draft as a node-local
file under the node's home (``<home>/advisories/<uuid>.tar``, like the hunt state and the
exports' files kept there), beside a small JSON record of who drafted it, for which
collection, and whether it was published (ADR 0021).

File names come only from a report id that parses as ``report--<UUID>`` and are written from
the UUID's canonical form, so no id can name a path outside the folder. Files are written
atomically (``atomic_files``).

Who sees a draft: the node's own admins and analysts (the others get the same
``ObjectNotFound`` as for an absent one), and of them only the one who drafted it or one
shown every object the package holds exactly as it holds it (``Visibility`` over the latest
version the one sharing policy releases to that reader): a draft never shows another
operator more than the policy would.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from entente.advisory import read_predicate, read_statement, verify_advisory
from entente.advisory.package import BUNDLE
from entente.approvals import Request, State
from entente.approvals import payload_digest as sha256_of
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied, StorageError
from entente.evidence.tarball import read_tar
from entente.services.advisories import AdvisoryRequest, AdvisoryService
from entente.services.advisory_publication import AdvisoryPublication, Publication
from entente.services.approvals import ApprovalService, RequestStatus
from entente.services.atomic_files import write_atomically
from entente.services.graph import GraphService
from entente.services.recipients import is_node_operator
from entente.services.taxii import TaxiiService
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal
from entente.store import ObjectQuery, ObjectStore
from entente.store.federation_port import PartnerStore

__all__ = ["ADVISORY_FOLDER", "AdvisoryDesk", "Draft", "Drafted", "advisory_file_stem"]

# The folder under the node's home that holds drafted packages.
ADVISORY_FOLDER = "advisories"
_REPORT = "report--"


def advisory_file_stem(report_id: str) -> str:
    """The file name (without extension) of the advisory ``report_id``: its UUID, canonical.

    ``ObjectNotFound`` for anything that is not ``report--<UUID>``: such an id names no
    advisory, and nothing of it reaches a path."""
    if not report_id.startswith(_REPORT):
        raise ObjectNotFound("no such advisory")
    try:
        return str(uuid.UUID(report_id[len(_REPORT) :]))
    except ValueError:
        raise ObjectNotFound("no such advisory") from None


@dataclass(frozen=True, slots=True)
class Drafted:
    """What ``draft`` did: the report id, the package's SHA-256 and the approval requests."""

    report_id: str
    sha256: str
    statement_sha256: str
    requests: tuple[Request, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    """A kept advisory as one reader is shown it, with its approval requests' state."""

    report_id: str
    package: bytes
    predicate: dict[str, Any]
    collection: str
    drafted_by: str
    published: bool
    requests: tuple[RequestStatus, ...]
    # Why the package does not verify with every agency's signature under the keys this node
    # knows (empty: signed by every agency).
    unsigned: tuple[str, ...]

    @property
    def sha256(self) -> str:
        """The SHA-256 of the package as kept."""
        return sha256_of(self.package)

    @property
    def approved(self) -> bool:
        """Whether every approval request of it is approved (and there is one)."""
        return bool(self.requests) and all(
            s.decision.state is State.APPROVED for s in self.requests
        )

    @property
    def files(self) -> dict[str, bytes]:
        """The package's files by name."""
        return read_tar(self.package)


class AdvisoryDesk:
    """Draft, keep, show and publish a node's joint advisories (REST and the web UI)."""

    def __init__(
        self,
        *,
        folder: Path,
        advisories: AdvisoryService,
        publication: AdvisoryPublication,
        approvals: ApprovalService,
        graph: GraphService,
        store: ObjectStore,
        context: Callable[[], NodeContext],
        taxii: TaxiiService,
        partners: PartnerStore,
    ) -> None:
        self._folder = folder
        self._advisories = advisories
        self._publication = publication
        self._approvals = approvals
        self._graph = graph
        self._store = store
        self._context = context
        self._taxii = taxii
        self._partners = partners
        self._lock = threading.Lock()

    # -- files ---------------------------------------------------------------------------

    def _paths(self, report_id: str) -> tuple[Path, Path]:
        stem = advisory_file_stem(report_id)
        return self._folder / f"{stem}.tar", self._folder / f"{stem}.json"

    def _record(self, report_id: str) -> tuple[bytes, dict[str, Any]]:
        package_path, record_path = self._paths(report_id)
        try:
            package = package_path.read_bytes()
            record = orjson.loads(record_path.read_bytes())
        except FileNotFoundError:
            raise ObjectNotFound("no such advisory") from None
        except (OSError, orjson.JSONDecodeError) as exc:
            raise StorageError(f"cannot read the advisory {report_id}: {exc}") from exc
        return package, record

    def _write_record(self, report_id: str, record: dict[str, Any]) -> None:
        _, record_path = self._paths(report_id)
        write_atomically(record_path, orjson.dumps(record), "advisory record")

    # -- operations ----------------------------------------------------------------------

    def check_operator(self, principal: Principal) -> None:
        """``PermissionDenied`` unless ``principal`` is one of the node's admins or analysts,
        the only ones who draft and publish advisories (asked before a body is read)."""
        if not is_node_operator(principal, self._context().node_org):
            raise PermissionDenied("only the node's own admins and analysts draft advisories")

    def coauthor_choices(self, principal: Principal) -> list[tuple[str, str]]:
        """The partners (name, org name) an operator may name as co-authors."""
        self.check_operator(principal)
        return [(p.name, p.org_name) for p in self._partners.list()]

    def collection_choices(self, principal: Principal) -> list[str]:
        """The titles of the collections ``principal`` may publish an advisory to."""
        self.check_operator(principal)
        return [c.title for c in self._taxii.collections_for(principal) if c.may_write(principal)]

    def draft(
        self, principal: Principal, request: AdvisoryRequest, collection: str, *, channel: str
    ) -> Drafted:
        """Draft the advisory as ``principal``, keep it, and ask for its approvals.

        The collection is checked (``principal`` may write it) before anything is kept; the
        package is kept before its approvals are asked for, and removed if asking fails, so
        a request never names a package that is not here."""
        if not collection:
            raise InvalidInput("an advisory is drafted for a collection to publish it to")
        self._publication.collection(principal, collection)
        package = self._advisories.draft(principal, request)
        report_id = str(read_predicate(package)["report_id"])
        package_path, record_path = self._paths(report_id)
        # The check and the writes together: two drafts of one advisory keep one package.
        with self._lock:
            if package_path.exists():
                raise InvalidInput(f"the advisory {report_id} is drafted already")
            self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomically(package_path, package, "advisory package")
            try:
                record = {"collection": collection, "drafted_by": principal.id, "published": False}
                self._write_record(report_id, record)
                requests = self._publication.request(
                    principal, package, collection, channel=channel
                )
            except BaseException:
                package_path.unlink(missing_ok=True)
                record_path.unlink(missing_ok=True)
                raise
        return Drafted(report_id, sha256_of(package), sha256_of(read_statement(package)), requests)

    def show(self, principal: Principal, report_id: str) -> Draft:
        """The advisory ``report_id`` as ``principal`` may see it; ``ObjectNotFound`` alike
        for an absent one and one they may not see."""
        if not is_node_operator(principal, self._context().node_org):
            raise ObjectNotFound("no such advisory")
        package, record = self._record(report_id)
        if record.get("drafted_by") != principal.id and not self._shows_all(principal, package):
            raise ObjectNotFound("no such advisory")
        return self._draft(principal, report_id, package, record)

    def list_drafts(self, principal: Principal) -> list[Draft]:
        """Every advisory kept here that ``principal`` may see, newest first."""
        if not is_node_operator(principal, self._context().node_org):
            return []
        try:
            names = sorted(self._folder.glob("*.tar"))
        except OSError as exc:
            raise StorageError(f"cannot list {self._folder}: {exc}") from exc
        found: list[Draft] = []
        for path in names:
            try:
                found.append(self.show(principal, f"{_REPORT}{path.stem}"))
            except ObjectNotFound:
                continue
        return sorted(found, key=lambda d: str(d.predicate.get("created", "")), reverse=True)

    def replace_package(self, principal: Principal, report_id: str, package: bytes) -> Draft:
        """Keep a co-signed copy of the advisory in place of the one kept.

        Co-authors co-sign on their own nodes and hand the package back; a copy is taken only
        if it carries the very Statement kept (co-signing adds signatures to the envelope,
        nothing else) and every file checks against it, so nothing approved changes."""
        with self._lock:
            shown = self.show(principal, report_id)
            if shown.published:
                raise InvalidInput(f"the advisory {report_id} is published already")
            try:
                same = read_statement(package) == read_statement(shown.package)
            except InvalidInput:
                same = False
            if not same:
                raise InvalidInput("this is not a signed copy of the advisory kept here")
            checked = verify_advisory(package, self._advisories.known_trust(package), threshold=1)
            if not checked.passed:
                failed = "; ".join(f"{c.subject}: {c.detail}" for c in checked.failures)
                raise InvalidInput(f"the copy does not verify: {failed}")
            package_path, _ = self._paths(report_id)
            write_atomically(package_path, package, "advisory package")
            _, record = self._record(report_id)
            return self._draft(principal, report_id, package, record)

    def publish(self, principal: Principal, report_id: str, *, channel: str) -> Publication:
        """Publish the kept advisory to its collection (``AdvisoryPublication.publish``:
        ``NotApproved`` unless approved, ``InvalidInput`` unless every agency signed)."""
        # One publish at a time: two clicks must not both pass the "published already" check.
        with self._lock:
            shown = self.show(principal, report_id)
            if shown.published:
                raise InvalidInput(f"the advisory {report_id} is published already")
            done = self._publication.publish(
                principal, shown.package, shown.collection, channel=channel
            )
            _, record = self._record(report_id)
            self._write_record(report_id, {**record, "published": True})
            return done

    # -- internals -----------------------------------------------------------------------

    def _draft(
        self, principal: Principal, report_id: str, package: bytes, record: dict[str, Any]
    ) -> Draft:
        try:
            checked = verify_advisory(package, self._advisories.known_trust(package))
            unsigned = tuple(f"{c.subject}: {c.detail}" for c in checked.failures)
        except InvalidInput as exc:
            unsigned = (str(exc),)
        digest = sha256_of(read_statement(package))
        requests = tuple(
            s for s in self._approvals.list_requests(principal) if s.request.digest == digest
        )
        return Draft(
            report_id=report_id,
            package=package,
            predicate=read_predicate(package),
            collection=str(record.get("collection", "")),
            drafted_by=str(record.get("drafted_by", "")),
            published=record.get("published") is True,
            requests=requests,
            unsigned=unsigned,
        )

    def _shows_all(self, principal: Principal, package: bytes) -> bool:
        """Whether the policy shows ``principal`` every held object of ``package`` exactly as
        the package holds it (what the builder made, the report, is not held)."""
        objects = orjson.loads(read_tar(package)[BUNDLE])["objects"]
        ids = list(dict.fromkeys(str(o["id"]) for o in objects))
        held = {v.id for v in self._store.iter_all(ObjectQuery(ids=tuple(ids), versions=("last",)))}
        shown = self._graph.latest_visible(
            [i for i in ids if i in held], Visibility(principal, self._context())
        )
        for obj in objects:
            oid = str(obj["id"])
            if oid not in held:
                continue
            release = shown.get(oid)
            if release is None or release.version.to_json() != obj:
                return False
        return True
