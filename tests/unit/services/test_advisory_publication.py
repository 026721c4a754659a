"""Publishing a joint advisory over a real SQLite node: asked for, approved by every agency,
refused until then with nothing stored, and stored through the write path into the chosen
collection after; a public collection needs the ``publish-public`` approval too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.advisory.sample import ICS, INDICATORS, POISON_IVY, TRITON
from tests.unit.services.test_attack_matrix_service import ingest_file

from entente.advisory import read_statement
from entente.approvals import ActionType, Verdict, payload_digest
from entente.bootstrap import (
    Node,
    advisories,
    advisory_publication,
    approvals,
    audit_log,
    open_node,
    taxii,
)
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, NotApproved, ObjectNotFound, PermissionDenied
from entente.evidence.tarball import read_tar, write_tar
from entente.services import node_org_id
from entente.services.advisories import AdvisoryRequest
from entente.services.collections import CollectionDef, collection_uuid
from entente.sharing import Principal, Role
from entente.store import ObjectQuery

ORG = node_org_id("CERT A")
T0855 = "attack-pattern--40b300ba-f553-48bf-862e-9471b220d455"  # Unauthorized Command Message


def _collection(
    title: str, *, public: bool = False, types: frozenset[str] = frozenset()
) -> CollectionDef:
    """A collection holding what was posted to it (its own id as the source name)."""
    uid = collection_uuid(title)
    return CollectionDef(
        id=uid, title=title, source_names=frozenset({str(uid)}), types=types, public=public
    )


ADVISORIES = _collection("Advisories")
PUBLIC = _collection("Public", public=True)
REPORTS_ONLY = _collection("Reports only", types=frozenset({"report"}))


def person(name: str, role: Role = Role.ANALYST) -> Principal:
    return Principal(f"user:{name}", ORG, role, True)


ALICE, BOB, CAROL = person("alice"), person("bob"), person("carol", Role.ADMIN)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("publication")
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'node.db'}",
        org_name="CERT A",
        collections=(ADVISORIES, PUBLIC, REPORTS_ONLY),
    )
    with open_node(settings, FixedClock()) as opened:
        ingest_file(opened, ICS)
        ingest_file(opened, POISON_IVY)
        yield opened


def _draft(node: Node, title: str) -> bytes:
    request = AdvisoryRequest(
        title=title,
        summary="CERT A warns of the Triton framework.",
        object_ids=(TRITON, T0855, *INDICATORS),
        mitigations=("Alert on any program change of a safety controller.",),
    )
    return advisories(node).draft(ALICE, request)


def _approve(node: Node, request_id: str) -> None:
    for who in (BOB, CAROL):
        approvals(node).approve(who, request_id, Verdict.APPROVE, "checked")


def _in_collection(node: Node, collection: CollectionDef) -> set[str]:
    page = taxii(node).read(collection, ALICE, ObjectQuery(limit=1000))
    return {item.id for item in page.items}


def test_published_only_after_every_approval_then_stored_in_the_collection(node: Node) -> None:
    package = _draft(node, "Approved then published")
    service = advisory_publication(node)
    (request,) = service.request(ALICE, package, "Advisories")
    assert request.action_type is ActionType.ADVISORY
    assert request.payload == read_statement(package)
    assert request.required_orgs == (ORG,)
    assert request.targets == ("Advisories",)
    with pytest.raises(NotApproved, match="is pending: 2 more approval"):
        service.publish(ALICE, package, "Advisories")
    assert _in_collection(node, ADVISORIES) == set()

    _approve(node, request.id)
    done = service.publish(BOB, package, "Advisories")
    assert done.requests == (request.id,)
    assert done.report_id.startswith("report--")
    # The report and the analysts' own mitigation are new; ATT&CK and the indicators were held.
    assert {oid.partition("--")[0] for oid in done.stored} == {"report", "course-of-action"}
    assert set(INDICATORS) <= set(done.held)
    assert _in_collection(node, ADVISORIES) == set(done.stored)
    log = audit_log(node)
    entries = [e for e in log.who_saw(object_id=done.report_id) if e.action == "advisory.publish"]
    assert [(e.actor.id, e.details["collection"]) for e in entries] == [(BOB.id, "Advisories")]
    assert log.verify().ok


def test_a_package_changed_after_approval_is_refused(node: Node) -> None:
    package = _draft(node, "Changed after approval")
    service = advisory_publication(node)
    (request,) = service.request(ALICE, package, "Advisories")
    _approve(node, request.id)
    files = read_tar(package)
    files["advisory.pdf"] = files["advisory.pdf"].replace(b"Triton", b"Tr1ton", 1)
    with pytest.raises(InvalidInput, match=r"advisory\.pdf: SHA-256 does not match"):
        service.publish(ALICE, write_tar(files), "Advisories")
    other = _draft(node, "Never asked for")
    with pytest.raises(NotApproved, match="no advisory approval request"):
        service.publish(ALICE, other, "Advisories")
    assert _in_collection(node, ADVISORIES) & {request.refs[0]} == set()


def test_a_public_collection_needs_the_publish_public_approval_too(node: Node) -> None:
    package = _draft(node, "For the public")
    service = advisory_publication(node)
    advisory, public = service.request(ALICE, package, "Public")
    assert (advisory.action_type, public.action_type) == (
        ActionType.ADVISORY,
        ActionType.PUBLISH_PUBLIC,
    )
    assert advisory.digest == public.digest == payload_digest(read_statement(package))
    _approve(node, advisory.id)
    with pytest.raises(NotApproved, match=f"request {public.id} is pending"):
        service.publish(ALICE, package, "Public")
    assert _in_collection(node, PUBLIC) == set()
    _approve(node, public.id)
    done = service.publish(ALICE, package, "Public")
    assert set(done.requests) == {advisory.id, public.id}
    assert done.report_id in _in_collection(node, PUBLIC)


def test_approval_for_one_collection_does_not_publish_to_another(node: Node) -> None:
    package = _draft(node, "Only to the advisories")
    service = advisory_publication(node)
    (request,) = service.request(ALICE, package, "Advisories")
    _approve(node, request.id)
    with pytest.raises(NotApproved, match="to 'Reports only'"):
        service.publish(ALICE, package, "Reports only")


def test_a_collection_that_cannot_hold_the_objects_refuses_before_storing(node: Node) -> None:
    package = _draft(node, "Too much for reports only")
    service = advisory_publication(node)
    (request,) = service.request(ALICE, package, "Reports only")
    _approve(node, request.id)
    with pytest.raises(InvalidInput, match="does not hold course-of-action objects"):
        service.publish(ALICE, package, "Reports only")
    assert _in_collection(node, REPORTS_ONLY) == set()


def test_refusals_are_clear_and_write_nothing(node: Node) -> None:
    package = _draft(node, "Refusals")
    service = advisory_publication(node)
    reader = person("rita", Role.READER)
    with pytest.raises(PermissionDenied, match="admins and analysts"):
        service.request(reader, package, "Advisories")
    with pytest.raises(ObjectNotFound, match="no collection 'Nowhere'"):
        service.request(ALICE, package, "Nowhere")
    files = read_tar(package)
    files["advisory.md"] += b"\nOne more line.\n"
    with pytest.raises(InvalidInput, match=r"not asked for: advisory\.md: SHA-256 does not"):
        service.request(ALICE, write_tar(files), "Advisories")
    asked = [s for s in approvals(node).list_requests(ALICE) if "Refusals" in s.request.summary]
    assert asked == []


def test_an_advisory_drafted_elsewhere_is_not_asked_for_here(node: Node, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name="CERT C"
    )
    package = _draft(node, "Drafted on A")
    with open_node(settings, FixedClock()) as other:
        principal = Principal("user:cleo", node_org_id("CERT C"), Role.ANALYST, True)
        with pytest.raises(InvalidInput, match="drafted on another node"):
            advisory_publication(other).request(principal, package, "All objects")
