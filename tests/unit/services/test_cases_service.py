"""Cases over a node on SQLite and PostgreSQL: stored through the node's write path with its
provenance and versioning, read through the policy, and refusals that write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from entente.bootstrap import Node, cases, open_node, search, taxii
from entente.cases import EXTENSION_ID, CaseType, Resolution, Stage, StatusScheme
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.services import create_token, node_org_id, principal_of
from entente.services.cases import CaseService
from entente.sharing import Principal
from entente.stix import Tlp, marking_id_for
from entente.store import ObjectQuery, SourceKind


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    if request.param == "sqlite":
        settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
        with open_node(settings, FixedClock()) as opened:
            yield opened
        return
    url, schema = request.getfixturevalue("postgres_schema")
    with open_node(Settings(home=tmp_path, database_url=url), FixedClock(), schema=schema) as n:
        yield n


def principal(node: Node, org: str, role: str = "analyst") -> Principal:
    token, _ = create_token(node.tokens, node.clock, org_name=org, role=role)
    return principal_of(token)


def test_every_change_is_a_new_version_stored_as_the_principal(node: Node) -> None:
    service = cases(node)
    analyst = principal(node, "Entente node")
    cid = service.create(analyst, name="Wave", case_type=CaseType.INCIDENT, tlp=Tlp.AMBER).case.id
    service.set_status(analyst, cid, Stage.IN_PROGRESS, "in progress")
    service.close(analyst, cid, Resolution.INDETERMINATE)
    versions = node.store.get_versions(cid, ("all",))
    assert len(versions) == 3
    assert {v.provenance.source_kind for v in versions} == {SourceKind.USER}
    assert {(v.provenance.principal, v.provenance.org) for v in versions} == {
        (analyst.id, analyst.org)
    }
    assert {v.created_by_ref for v in versions} == {node_org_id("Entente node")}
    assert {v.marking_refs for v in versions} == {(marking_id_for(Tlp.AMBER),)}
    latest = versions[-1].to_json()
    assert latest["extensions"][EXTENSION_ID]["resolution"] == "indeterminate"
    incident = node.store.get_versions(latest["object_refs"][0], ("all",))
    assert [v.type for v in incident] == ["incident"]
    view = service.show(analyst, cid)
    assert [e.kind.value for e in view.events] == ["opened", "status", "closed"]
    # The extension-definition is stored once, TLP:CLEAR, however many cases there are.
    service.create(analyst, name="Another", case_type=CaseType.TAKEDOWN)
    definition = node.store.get_versions(EXTENSION_ID, ("all",))
    assert len(definition) == 1
    assert definition[0].marking_refs == (marking_id_for(Tlp.CLEAR),)


def test_a_merge_refused_for_one_original_writes_nothing(node: Node) -> None:
    service = cases(node)
    ours, theirs = principal(node, "Entente node"), principal(node, "Org B")
    mine = service.create(ours, name="ours", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN).case
    other = service.create(theirs, name="theirs", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN)
    before = node.store.stats().versions
    with pytest.raises(PermissionDenied, match="only the org that created"):
        service.merge(ours, [mine.id, other.case.id], "both")
    with pytest.raises(ObjectNotFound):
        service.merge(ours, [mine.id, "grouping--00000000-0000-4000-8000-000000000099"], "x")
    assert node.store.stats().versions == before
    assert not service.show(ours, mine.id).shown.case.read_only


def test_readers_see_cases_as_the_policy_allows(node: Node) -> None:
    service = cases(node)
    ours, guest = principal(node, "Entente node"), principal(node, "Org B", "reader")
    green = service.create(ours, name="green", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN)
    strict = service.create(ours, name="strict", case_type=CaseType.INCIDENT)
    assert {s.case.id for s in service.list_cases(ours)} == {green.case.id, strict.case.id}
    assert [s.case.id for s in service.list_cases(guest)] == [green.case.id]
    with pytest.raises(ObjectNotFound):
        service.show(guest, strict.case.id)
    with pytest.raises(PermissionDenied):
        service.add_note(guest, green.case.id, "readers do not write")


def test_a_case_cannot_reference_what_its_author_may_not_see(node: Node) -> None:
    service = cases(node)
    ours, theirs = principal(node, "Entente node"), principal(node, "Org B")
    hidden = service.create(ours, name="strict", case_type=CaseType.INCIDENT).case
    own = service.create(theirs, name="theirs", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN).case
    note: dict[str, Any] = {
        "type": "note",
        "spec_version": "2.1",
        "id": "note--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "content": "the node's own (AMBER+STRICT by default)",
        "object_refs": [hidden.id],
    }
    stored = taxii(node).add([note], ours, collection=None, source="t", source_name="t")
    assert stored[0].outcome == "added", stored
    # Org B may not see the note: refused exactly as an absent one is.
    for object_id in (note["id"], "note--00000000-0000-4000-8000-000000000002"):
        with pytest.raises(InvalidInput, match=f"no object {object_id}"):
            service.attach(theirs, own.id, [object_id])
    assert service.attach(ours, hidden.id, [note["id"]]).case.refs == (note["id"],)
    page = node.store.query(ObjectQuery(ids=(own.id,), versions=("all",), limit=10))
    assert len(page.items) == 1


def test_a_case_service_with_its_own_status_scheme(node: Node) -> None:
    scheme = StatusScheme({Stage.NEW: ("queued",), Stage.IN_PROGRESS: ("with legal",)})
    service = CaseService(
        taxii=taxii(node), search=search(node), store=node.store, clock=node.clock, scheme=scheme
    )
    analyst = principal(node, "Entente node")
    cid = service.create(analyst, name="x", case_type=CaseType.LAW_ENFORCEMENT_REFERRAL).case.id
    assert service.show(analyst, cid).shown.case.status == "queued"
    with pytest.raises(InvalidInput, match="one of: with legal"):
        service.set_status(analyst, cid, Stage.IN_PROGRESS, "in progress")


def test_files_are_referenced_by_their_hashes_as_the_author_may_see_them(node: Node) -> None:
    service = cases(node)
    ours, theirs = principal(node, "Entente node"), principal(node, "Org B")
    digest = "ab" * 32
    evil = {
        "type": "file",
        "spec_version": "2.1",
        "id": "file--00000000-0000-4000-8000-000000000001",
        "hashes": {"SHA-256": digest},
        "name": "evil.exe",
    }
    stored = taxii(node).add([evil], ours, collection=None, source="t", source_name="t")
    assert stored[0].outcome == "added", stored
    mine = service.create(ours, name="ours", case_type=CaseType.INCIDENT).case
    attached = service.attach(ours, mine.id, [], file_hashes=[digest.upper()])
    assert attached.case.refs == (evil["id"],)
    # The file is the node's (AMBER+STRICT by default): Org B's case cannot name it.
    own = service.create(theirs, name="theirs", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN).case
    with pytest.raises(InvalidInput, match=f"no file with hash {digest}"):
        service.attach(theirs, own.id, [], file_hashes=[digest])
    with pytest.raises(InvalidInput, match="not an MD5, SHA-1, SHA-256 or SHA-512"):
        service.attach(ours, mine.id, [], file_hashes=["not-a-hash"])


def test_changes_made_at_once_are_all_kept(node: Node) -> None:
    service = cases(node)
    analyst = principal(node, "Entente node")
    cid = service.create(analyst, name="busy", case_type=CaseType.INCIDENT).case.id
    with ThreadPoolExecutor(max_workers=6) as pool:
        done = list(pool.map(lambda n: service.add_task(analyst, cid, f"t{n}"), range(12)))
    assert len(done) == 12
    titles = {t.title for t in service.show(analyst, cid).shown.case.tasks}
    assert {f"t{n}" for n in range(12)} <= titles
