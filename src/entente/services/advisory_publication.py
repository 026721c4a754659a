"""Joint advisories approved by every co-authoring agency, then published to a collection.

Issue 15 items 1 and 4. The author's node asks for approval of the advisory's signed
Statement (``request``): it names the SHA-256 of the STIX bundle, the Markdown and the PDF, so
approving it approves exactly those bytes, and co-signing (which only adds signatures to the
envelope) leaves it unchanged, so every co-signed copy is the approved advisory. Every
co-authoring agency must approve (``required_orgs``: the author's org and each co-author's),
under the node's ``[approvals.advisory]`` policy; a ``public`` collection needs the
``publish-public`` approval too. A co-author approves on its own node when it co-signs
(``cosign``: the request came by sync, the signed approval goes back the same way) and hands
the co-signed package back to the author as a file.

``publish`` runs on the author's node: the package must verify with the signature of every
agency under the keys this node knows (its own and the co-authors' partner cards), and
``ApprovalService.require_approved`` must pass for its Statement and the chosen collection;
then the report and the objects it cites that are not held here yet go through
``TaxiiService.add`` into the collection, so TAXII readers, sync and the feeds pick them up.
Refused with the reason otherwise, nothing stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from entente.advisory import (
    STATEMENT_MEDIA_TYPE,
    read_predicate,
    read_statement,
    verify_advisory,
)
from entente.advisory.package import BUNDLE
from entente.approvals import ActionType, Approval, Request, Verdict, payload_digest
from entente.audit import Actor, EntryDraft
from entente.errors import InvalidInput, NotApproved, ObjectNotFound, PermissionDenied
from entente.evidence.tarball import read_tar
from entente.services.advisories import AdvisoryService
from entente.services.approvals import ApprovalService, AuditRecorder, RequestStatus
from entente.services.collections import CollectionDef
from entente.services.recipients import is_node_operator
from entente.services.taxii import TaxiiService
from entente.sharing import Principal
from entente.store import ObjectQuery, ObjectStore

__all__ = ["AdvisoryPublication", "Publication"]

_ACTIONS = (ActionType.ADVISORY, ActionType.PUBLISH_PUBLIC)


@dataclass(frozen=True, slots=True)
class Publication:
    """What ``publish`` did: the report, where, what it stored and what was already held."""

    report_id: str
    collection: CollectionDef
    stored: tuple[str, ...]
    held: tuple[str, ...]
    requests: tuple[str, ...]


def _actions(collection: CollectionDef) -> tuple[ActionType, ...]:
    """The approvals publishing to ``collection`` needs."""
    return _ACTIONS if collection.public else (ActionType.ADVISORY,)


class AdvisoryPublication:
    """Ask for, give (with a co-signature) and require the approvals of a joint advisory."""

    def __init__(
        self,
        *,
        advisories: AdvisoryService,
        approvals: ApprovalService,
        taxii: TaxiiService,
        store: ObjectStore,
        node_org: str,
        audit: AuditRecorder | None = None,
    ) -> None:
        self._advisories = advisories
        self._approvals = approvals
        self._taxii = taxii
        self._store = store
        self._node_org = node_org
        self._audit = audit

    def collection(self, principal: Principal, name: str) -> CollectionDef:
        """The collection titled (or with the id) ``name`` that ``principal`` may write."""
        for collection in self._taxii.collections_for(principal):
            if name in (collection.title, str(collection.id)):
                self._taxii.check_write(collection, principal)
                return collection
        raise ObjectNotFound(f"no collection {name!r}")

    # -- on the author's node ------------------------------------------------------------

    def request(
        self, principal: Principal, package: bytes, collection_name: str, *, channel: str = "cli"
    ) -> tuple[Request, ...]:
        """Ask every co-authoring agency to approve publishing ``package`` to the collection.

        One request per action it needs (``advisory``, and ``publish-public`` for a public
        collection), each over the package's signed Statement."""
        if not is_node_operator(principal, self._node_org):
            raise PermissionDenied("only the node's own admins and analysts publish advisories")
        collection = self.collection(principal, collection_name)
        predicate = self._authored_here(package)
        # Asked for as drafted: every file as this node signed it (its own signature checks).
        checked = verify_advisory(package, self._advisories.known_trust(package), threshold=1)
        if not checked.passed:
            failed = "; ".join(f"{c.subject}: {c.detail}" for c in checked.failures)
            raise InvalidInput(f"the advisory does not verify, so it is not asked for: {failed}")
        statement = read_statement(package)
        orgs = [predicate["author"]["org_id"], *(a["org_id"] for a in predicate["coauthors"])]
        refs = [predicate["report_id"]]
        if isinstance(predicate.get("case_id"), str):
            refs.append(predicate["case_id"])
        names = ", ".join(
            [predicate["author"]["name"], *(a["name"] for a in predicate["coauthors"])]
        )
        return tuple(
            self._approvals.request(
                principal,
                action,
                statement,
                summary=(
                    f"Publish the joint advisory {predicate['title']!r} "
                    f"(TLP:{str(predicate['tlp']).upper()}, by {names}) to the "
                    f"{'public ' if collection.public else ''}collection {collection.title!r}"
                ),
                targets=[collection.title],
                refs=refs,
                media_type=STATEMENT_MEDIA_TYPE,
                required_orgs=orgs,
                channel=channel,
            )
            for action in _actions(collection)
        )

    def publish(
        self, principal: Principal, package: bytes, collection_name: str, *, channel: str = "cli"
    ) -> Publication:
        """Store the advisory's report and objects in the collection, once approved.

        ``NotApproved`` unless every request the collection needs is approved for this
        Statement; ``InvalidInput`` unless every agency signed; nothing stored then."""
        if not is_node_operator(principal, self._node_org):
            raise PermissionDenied("only the node's own admins and analysts publish advisories")
        collection = self.collection(principal, collection_name)
        predicate = self._authored_here(package)
        statement = read_statement(package)
        approved = [
            self._approved(principal, action, statement, collection)
            for action in _actions(collection)
        ]
        report = verify_advisory(package, self._advisories.known_trust(package))
        if not report.passed:
            failed = "; ".join(f"{c.subject}: {c.detail}" for c in report.failures)
            raise InvalidInput(f"the advisory is not signed by every agency: {failed}")
        objects = orjson.loads(read_tar(package)[BUNDLE])["objects"]
        new, held = self._new_objects(objects)
        self._check_posts(principal, collection, new)
        entries = self._taxii.add(
            new,
            principal,
            collection=collection,
            source=f"advisory:{predicate['report_id']}",
            source_name=str(collection.id),
        )
        failed_entries = [e for e in entries if e.outcome == "failed"]
        if failed_entries:
            reasons = "; ".join(f"{e.id}: {e.message}" for e in failed_entries)
            raise InvalidInput(f"not stored: {reasons}")
        done = Publication(
            report_id=str(predicate["report_id"]),
            collection=collection,
            stored=tuple(str(o["id"]) for o in new),
            held=tuple(held),
            requests=tuple(approved),
        )
        if self._audit is not None:
            actor = Actor(principal.id, principal.org, principal.role.value)
            details: dict[str, str | int | bool | None] = {
                "collection": collection.title,
                "sha256": payload_digest(statement),
                "stored": len(done.stored),
            }
            self._audit(
                [
                    EntryDraft(
                        actor,
                        "advisory.publish",
                        channel,
                        (done.report_id, *done.requests),
                        details=details,
                    )
                ]
            )
        return done

    # -- on a co-author's node -----------------------------------------------------------

    def cosign(
        self, principal: Principal, package: bytes, comment: str = "", *, channel: str = "cli"
    ) -> tuple[bytes, tuple[Approval, ...]]:
        """``package`` co-signed by this node, and ``principal``'s approval of it.

        The package must check (``AdvisoryService.cosign``) and its approval requests must be
        here (synced from the author's node): co-signing is approving, so neither is done
        without the other. Requests ``principal`` already decided are left as decided."""
        signed = self._advisories.cosign(package)
        shown = self._requests_for(principal, read_statement(package))
        if not shown:
            raise ObjectNotFound(
                "no approval request for this advisory on this node: sync with the author's "
                "node first (co-signing approves its request)"
            )
        undecided = [
            s
            for s in shown
            if not any(
                (a.approver_org, a.approver) == (principal.org, principal.id)
                and a.digest == s.request.digest
                for a in s.approvals
            )
        ]
        for s in undecided:
            # All or nothing: one approval refused after another was written would leave the
            # advisory half approved and not co-signed.
            if not s.policy.may_approve(principal.org, s.request.required_orgs):
                raise PermissionDenied(
                    f"{principal.org} is not among the orgs that approve "
                    f"{s.request.action_type.value}: nothing approved or co-signed"
                )
        made = tuple(
            self._approvals.approve(
                principal, s.request.id, Verdict.APPROVE, comment, channel=channel
            )
            for s in undecided
        )
        return signed, made

    # -- internals -----------------------------------------------------------------------

    def _authored_here(self, package: bytes) -> dict[str, Any]:
        predicate = read_predicate(package)
        author = predicate.get("author")
        if not isinstance(author, dict) or author.get("org_id") != self._node_org:
            raise InvalidInput(
                "this advisory was drafted on another node: its author's node publishes it"
            )
        return predicate

    def _requests_for(self, principal: Principal, statement: bytes) -> list[RequestStatus]:
        digest = payload_digest(statement)
        return [
            s
            for s in self._approvals.list_requests(principal)
            if s.request.digest == digest and s.request.action_type in _ACTIONS
        ]

    def _approved(
        self,
        principal: Principal,
        action: ActionType,
        statement: bytes,
        collection: CollectionDef,
    ) -> str:
        """The id of a request for ``action`` approved for ``statement`` and the collection."""
        candidates = [
            s.request
            for s in self._requests_for(principal, statement)
            if s.request.action_type is action and collection.title in s.request.targets
        ]
        if not candidates:
            raise NotApproved(
                f"no {action.value} approval request to publish this advisory to "
                f"{collection.title!r}: ask for one first (entente advisory new --collection)"
            )
        refusal: NotApproved | None = None
        for request in candidates:
            try:
                self._approvals.require_approved(principal, request.id, statement)
            except NotApproved as exc:
                refusal = exc
                continue
            return request.id
        assert refusal is not None
        raise refusal

    def _new_objects(
        self, objects: Sequence[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The objects not held here yet in the very version the advisory cites, and the
        ids of those that are (the ATT&CK release, partners' indicators: not re-posted in
        this node's name)."""
        ids = tuple(dict.fromkeys(str(obj["id"]) for obj in objects))
        stored: dict[str, list[dict[str, Any]]] = {}
        for version in self._store.iter_all(ObjectQuery(ids=ids, versions=("all",))):
            stored.setdefault(version.id, []).append(version.to_json())
        new: list[dict[str, Any]] = []
        held: list[str] = []
        for obj in objects:
            if obj in stored.get(str(obj["id"]), ()):
                held.append(str(obj["id"]))
            else:
                new.append(obj)
        return new, held

    def _check_posts(
        self, principal: Principal, collection: CollectionDef, objects: Sequence[dict[str, Any]]
    ) -> None:
        """Refuse before storing anything what the write path would refuse one by one."""
        screen = self._taxii.ownership(principal)
        for obj in objects:
            if collection.types and obj.get("type") not in collection.types:
                raise InvalidInput(
                    f"the collection {collection.title!r} does not hold {obj.get('type')} "
                    f"objects ({obj['id']}): publish the advisory to another collection"
                )
            reason = screen.creator_refusal(obj)
            if reason is not None:
                raise PermissionDenied(f"{obj['id']} is not published: {reason}")
