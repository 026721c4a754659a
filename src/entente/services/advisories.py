"""Joint advisories over a node: drafted from what the author may see, co-signed by partners.

Issue 15 item 4. ``draft`` gathers the objects of a case (the references its reader is shown)
or an explicit selection, every one read through the one sharing policy as the author
(``services.visibility``), adds the ``uses`` relationships between them and the ATT&CK data
held here (the release collections, tactics, and the courses of action that ``mitigates`` the
chosen techniques, each as the author may see it), builds the advisory
(``entente.advisory``) and signs its package with the node key. The co-authors are partners
of this node: their keys (exchanged on their partner cards) make the package's trust root,
and each must co-sign (``cosign``, on the co-author's node) before it verifies.

Nothing is stored or sent here: approval and publishing to a collection and the feeds are
the approval flow's (issue 15 item 1), which takes the package this returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from entente.advisory import (
    AdvisoryDraft,
    Agency,
    AttackData,
    build_advisory,
    build_package,
    cosign_package,
    read_predicate,
    trust_root,
    verify_advisory,
)
from entente.clock import Clock
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.evidence import TrustedKey, TrustRoot
from entente.federation.keys import NodeKey, parse_public_key
from entente.services.cases import CaseService
from entente.services.graph import GraphService, latest_released
from entente.services.recipients import is_node_operator
from entente.services.taxii import node_org_id
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal
from entente.stix import format_timestamp_us
from entente.store import ObjectQuery, ObjectStore
from entente.store.federation_port import PartnerStore

__all__ = ["AdvisoryRequest", "AdvisoryService"]

_RELEASE_TYPES = ("x-mitre-collection", "x-mitre-tactic")


@dataclass(frozen=True, slots=True)
class AdvisoryRequest:
    """What the author asks for: the text, the co-authors (partner names) and the objects
    (a case's references, chosen ids, or both) and the analysts' own mitigations."""

    title: str
    summary: str
    technical_details: str = ""
    coauthors: tuple[str, ...] = ()
    case_id: str | None = None
    object_ids: tuple[str, ...] = ()
    mitigations: tuple[str, ...] = ()


class AdvisoryService:
    """Draft, co-sign and check joint advisories through the sharing policy."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        graph: GraphService,
        cases: CaseService,
        partners: PartnerStore,
        context: Callable[[], NodeContext],
        node_key: NodeKey,
        node_name: str,
        clock: Clock,
    ) -> None:
        self._store = store
        self._graph = graph
        self._cases = cases
        self._partners = partners
        self._context = context
        self._key = node_key
        self._node_name = node_name
        self._clock = clock

    def _coauthors(self, names: Sequence[str]) -> list[tuple[Agency, TrustedKey]]:
        found = []
        for name in dict.fromkeys(names):
            partner = self._partners.get(name)
            if partner is None:
                raise InvalidInput(f"no partner named {name!r}: a co-author must be a partner")
            key = TrustedKey(partner.org_name, parse_public_key(partner.public_key))
            found.append((Agency(partner.org_id, partner.org_name), key))
        return found

    def _selection(
        self, principal: Principal, request: AdvisoryRequest, visibility: Visibility
    ) -> dict[str, dict[str, Any]]:
        wanted: list[str] = []
        if request.case_id is not None:
            # The references the author is shown of the case (CaseService.show filters them).
            wanted += self._cases.show(principal, request.case_id).shown.case.refs
        shown = self._graph.latest_visible(list(dict.fromkeys(request.object_ids)), visibility)
        missing = [oid for oid in request.object_ids if oid not in shown]
        if missing:
            # Not found and not visible read alike: nothing says which (no existence leak).
            raise ObjectNotFound(f"no such object: {missing[0]}")
        shown.update(self._graph.latest_visible(list(dict.fromkeys(wanted)), visibility))
        chosen = {oid: release.version.to_json() for oid, release in shown.items()}
        # How the chosen actors used the chosen techniques: their "uses" relationships.
        techniques = [oid for oid in chosen if oid.startswith("attack-pattern--")]
        for rel in self._referring(techniques, visibility):
            if (
                rel.get("relationship_type") == "uses"
                and rel.get("source_ref") in chosen
                and rel.get("target_ref") in chosen
            ):
                chosen[str(rel["id"])] = rel
        return chosen

    def _referring(self, ids: Sequence[str], visibility: Visibility) -> list[dict[str, Any]]:
        """The relationships the reader may see that reference any of ``ids``."""
        found: dict[str, None] = {}
        for oid in ids:
            referring, _ = self._graph.referrers(oid, bound=None)
            found.update((r, None) for r in referring if r.startswith("relationship--"))
        shown = self._graph.latest_visible(list(found), visibility)
        return [release.version.to_json() for release in shown.values()]

    def _attack(self, chosen: dict[str, dict[str, Any]], visibility: Visibility) -> AttackData:
        query = ObjectQuery(
            types=_RELEASE_TYPES, versions=("last",), policy_variants=True, limit=1000
        )
        held = [
            r.version.to_json()
            for r in latest_released(self._store.iter_all(query), visibility, {}).values()
        ]
        techniques = [oid for oid in chosen if oid.startswith("attack-pattern--")]
        mitigates = [
            rel
            for rel in self._referring(techniques, visibility)
            if rel.get("relationship_type") == "mitigates"
        ]
        courses = self._graph.latest_visible(
            sorted({str(rel.get("source_ref")) for rel in mitigates}), visibility
        )
        return AttackData(
            collections=[o for o in held if o.get("type") == "x-mitre-collection"],
            tactics=[o for o in held if o.get("type") == "x-mitre-tactic"],
            courses=[r.version.to_json() for r in courses.values()],
            relationships=mitigates,
        )

    def draft(self, principal: Principal, request: AdvisoryRequest) -> bytes:
        """The advisory package (a tar), signed by this node; the co-authors sign it next.

        Only the node's own admins and analysts draft: an advisory leaves the coalition."""
        context = self._context()
        if not is_node_operator(principal, context.node_org):
            raise PermissionDenied("only the node's own admins and analysts draft advisories")
        if request.case_id is None and not request.object_ids:
            raise InvalidInput("an advisory is drafted from a case or from chosen objects")
        visibility = Visibility(principal, context)
        chosen = self._selection(principal, request, visibility)
        coauthors = self._coauthors(request.coauthors)
        author = Agency(node_org_id(self._node_name), self._node_name)
        draft = AdvisoryDraft(
            title=request.title,
            summary=request.summary,
            technical_details=request.technical_details,
            author=author,
            coauthors=tuple(agency for agency, _ in coauthors),
            created=format_timestamp_us(self._clock.now_us()),
            mitigations=request.mitigations,
            case_id=request.case_id,
        )
        advisory = build_advisory(
            draft,
            list(chosen.values()),
            self._attack(chosen, visibility),
            default_tlp=context.default_marking,
        )
        trust = trust_root(
            TrustedKey(self._node_name, self._key.public_key), [key for _, key in coauthors]
        )
        return build_package(advisory, author_key=self._key, trust=trust)

    def known_trust(self, package: bytes) -> TrustRoot:
        """The trust root of ``package``'s agencies as this node knows them: its own key
        for its own advisory and each co-author's partner card, every one of them to sign.

        Not the package's ``trust.json``, which proves integrity but not who signed."""
        predicate = read_predicate(package)
        author = predicate.get("author")
        if not isinstance(author, dict) or author.get("org_id") != node_org_id(self._node_name):
            raise InvalidInput("this advisory was not drafted on this node")
        keys = []
        for coauthor in predicate.get("coauthors") or ():
            org_id = coauthor.get("org_id") if isinstance(coauthor, dict) else None
            partner = None if not isinstance(org_id, str) else self._partners.by_org(org_id)
            if partner is None:
                raise InvalidInput(f"co-author {coauthor!r} is not a partner of this node")
            keys.append(TrustedKey(partner.org_name, parse_public_key(partner.public_key)))
        return trust_root(TrustedKey(self._node_name, self._key.public_key), keys)

    def cosign(self, package: bytes) -> bytes:
        """``package`` co-signed by this node, once it checks: every file as the author
        signed it, the author's signature valid (``verify_advisory`` with a threshold of 1)."""
        report = verify_advisory(package, threshold=1)
        if not report.passed:
            failed = "; ".join(f"{c.subject}: {c.detail}" for c in report.failures)
            raise InvalidInput(f"the advisory does not verify, so it is not co-signed: {failed}")
        return cosign_package(package, self._key)
