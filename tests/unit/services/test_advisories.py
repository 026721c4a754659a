"""Joint advisories over two real nodes: drafted on one from a case holding the real ATT&CK
for ICS release and OASIS indicators, co-signed on the other, verified 2-of-2 offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import stix2
from tests.factories import RED, ident, stix
from tests.unit.advisory.sample import ICS, INDICATORS, POISON_IVY, TRITON
from tests.unit.services.test_attack_matrix_service import ingest_file

from entente.advisory import read_predicate, trust_root, verify_advisory
from entente.bootstrap import Node, advisories, cases, open_node
from entente.cases import CaseType
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.evidence import TrustedKey
from entente.evidence.tarball import read_tar, write_tar
from entente.services import create_token, node_org_id, principal_of
from entente.services.advisories import AdvisoryRequest
from entente.sharing import Principal, Role
from entente.stix import Tlp
from entente.store.federation_port import PartnerRecord

T0855 = "attack-pattern--40b300ba-f553-48bf-862e-9471b220d455"  # Unauthorized Command Message


def _open(stack: ExitStack, root: Path, name: str) -> Node:
    home = root / name
    home.mkdir()
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'node.db'}",
        org_name=name,
        default_marking=Tlp.GREEN,
    )
    return stack.enter_context(open_node(settings, FixedClock()))


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    root = tmp_path_factory.mktemp("advisories")
    with ExitStack() as stack:
        author, coauthor = _open(stack, root, "CERT A"), _open(stack, root, "CERT B")
        ingest_file(author, ICS)
        ingest_file(author, POISON_IVY)
        secret = root / "secret.json"
        bundle = {
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000009",
            "objects": [
                stix(
                    "indicator",
                    9,
                    RED,
                    created_by_ref=node_org_id("Org C"),
                    name="SECRET",
                    pattern="[ipv4-addr:value = '203.0.113.9']",
                    pattern_type="stix",
                    valid_from="2024-01-01T00:00:00Z",
                )
            ],
        }
        secret.write_text(json.dumps(bundle))
        ingest_file(author, secret)
        for here, there, handle in ((author, coauthor, "cert-b"), (coauthor, author, "cert-a")):
            here.partners.add(
                PartnerRecord(
                    handle,
                    node_org_id(there.settings.org_name),
                    there.settings.org_name,
                    there.key.public_key_text,
                    "https://127.0.0.1:1/taxii2/api/",
                    "token",
                    1,
                )
            )
        yield author, coauthor


def _analyst(node: Node) -> Principal:
    token, _ = create_token(
        node.tokens, node.clock, org_name=node.settings.org_name, role="analyst"
    )
    return principal_of(token)


def _uses() -> list[dict[str, str]]:
    objects = json.loads(ICS.read_text())["objects"]
    return sorted(
        (
            o
            for o in objects
            if o["type"] == "relationship"
            and o["source_ref"] == TRITON
            and o["relationship_type"] == "uses"
            and o["target_ref"].startswith("attack-pattern--")
        ),
        key=lambda o: o["id"],
    )


def test_a_case_becomes_a_joint_advisory_both_agencies_sign(nodes: tuple[Node, Node]) -> None:
    author, coauthor = nodes
    analyst = _analyst(author)
    case = cases(author).create(
        analyst, name="Triton advisory", case_type=CaseType.JOINT_ADVISORY, tlp=Tlp.GREEN
    )
    uses = _uses()
    # A case references the techniques, the campaign's "uses" of them and the indicators.
    refs = [*(u["target_ref"] for u in uses), *(u["id"] for u in uses), *INDICATORS]
    cases(author).attach(analyst, case.case.id, refs)
    request = AdvisoryRequest(
        title="Triton Targets Safety Instrumented Systems",
        summary="CERT A and CERT B warn of the Triton framework.",
        technical_details="The actors reprogrammed safety controllers.",
        coauthors=("cert-b",),
        case_id=case.case.id,
        object_ids=(TRITON,),
        mitigations=("Alert on any program change of a safety controller.",),
    )
    package = advisories(author).draft(analyst, request)
    predicate = read_predicate(package)
    assert predicate["attack_releases"] == ["ICS ATT&CK v18.1"]
    assert predicate["coauthors"] == [{"org_id": node_org_id("CERT B"), "name": "CERT B"}]
    assert predicate["case_id"] == case.case.id
    # The "uses" relationships say how each technique was used: MITRE's words fill the table.
    markdown = read_tar(package)["advisory.md"].decode()
    assert "| Impair Process Control | Unauthorized Command Message | T0855 | In the Triton" in (
        markdown
    )
    assert "M0802 Communication Authenticity" in markdown

    cosigned = advisories(coauthor).cosign(package)
    trust = trust_root(
        TrustedKey("CERT A", author.key.public_key), [TrustedKey("CERT B", coauthor.key.public_key)]
    )
    assert not verify_advisory(package, trust).passed
    report = verify_advisory(cosigned, trust, threshold=2)
    assert report.passed, report.failures
    bundle = stix2.parse(read_tar(cosigned)["advisory.json"].decode(), allow_custom=True)
    assert {o.type for o in bundle.objects} >= {"report", "attack-pattern", "indicator"}
    with pytest.raises(InvalidInput, match="already signed"):
        advisories(coauthor).cosign(cosigned)


def test_an_object_the_author_may_not_see_is_not_found(nodes: tuple[Node, Node]) -> None:
    author, _ = nodes
    request = AdvisoryRequest(title="t", summary="s", object_ids=(T0855, ident(9, "indicator")))
    with pytest.raises(ObjectNotFound, match="no such object"):
        advisories(author).draft(_analyst(author), request)


def test_co_authors_are_partners_and_only_operators_draft(nodes: tuple[Node, Node]) -> None:
    author, _ = nodes
    request = AdvisoryRequest(title="t", summary="s", object_ids=(T0855,), coauthors=("nobody",))
    with pytest.raises(InvalidInput, match="no partner named 'nobody'"):
        advisories(author).draft(_analyst(author), request)
    outsider = Principal(id="x", org=node_org_id("Org C"), role=Role.ANALYST, is_individual=True)
    with pytest.raises(PermissionDenied):
        advisories(author).draft(outsider, AdvisoryRequest(title="t", summary="s"))


def test_a_package_that_does_not_verify_is_not_co_signed(nodes: tuple[Node, Node]) -> None:
    author, coauthor = nodes
    request = AdvisoryRequest(title="t", summary="s", object_ids=(T0855,), coauthors=("cert-b",))
    files = read_tar(advisories(author).draft(_analyst(author), request))
    files["advisory.md"] += b"\nA line the author did not sign.\n"
    with pytest.raises(InvalidInput, match=r"advisory\.md: SHA-256 does not match"):
        advisories(coauthor).cosign(write_tar(files))
