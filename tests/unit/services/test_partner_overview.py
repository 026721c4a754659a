"""The partner overview over a real SQLite node: who may read it, and what flowed each way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.bootstrap import Node, federation, open_node, partner_overview
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import ObjectNotFound, PermissionDenied
from entente.services import org_identity_id
from entente.sharing import Principal, Role
from entente.store import PartnerRecord, SyncReport

NODE = "CERT-X"
NODE_ORG = org_identity_id(NODE)
ORG_B = org_identity_id("Org B")


def person(org: str, role: Role) -> Principal:
    return Principal(id=f"user:{org}:{role}", org=org, role=role, is_individual=True)


ANALYST = person(NODE_ORG, Role.ANALYST)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name=NODE
    )
    with open_node(settings, FixedClock()) as opened:
        opened.partners.add(
            PartnerRecord(
                name="node-b",
                org_id=ORG_B,
                org_name="Org B",
                public_key="",
                api_root="http://127.0.0.1:9/taxii2/api/",
                token="secret",
                added_us=1,
            )
        )
        federation(opened).add_agreement(
            {
                "id": "with-b",
                "name": "CERT-X and Org B",
                "parties": [NODE, "Org B"],
                "max_tlp": "green",
                "onward_sharing": "coalition",
                "valid_from": "2030-01-01T00:00:00Z",
            }
        )
        yield opened


def _report(node: Node, n: int, rejections: tuple[dict[str, str], ...] = ()) -> None:
    node.sync_reports.add(
        SyncReport(None, "node-b", n, n, n, 0, 0, len(rejections), None, rejections)
    )


@pytest.mark.parametrize(
    "reader",
    [None, person(NODE_ORG, Role.READER), person(ORG_B, Role.ADMIN), person(ORG_B, Role.ANALYST)],
)
def test_only_the_node_orgs_admins_and_analysts_may_read_it(
    node: Node, reader: Principal | None
) -> None:
    service = partner_overview(node)
    with pytest.raises(PermissionDenied):
        service.overview(reader)
    with pytest.raises(PermissionDenied):
        service.partner(reader, "node-b")
    assert service.overview(person(NODE_ORG, Role.ADMIN)).total == 1


def test_a_partner_shows_its_runs_reasons_and_the_agreements_binding_it(node: Node) -> None:
    _report(node, 1, ({"id": "x--1", "reason": "bad"}, {"id": "x--2", "reason": "bad"}))
    _report(node, 2, ({"id": "x--3", "reason": "worse"},))
    service = partner_overview(node)
    listed = service.overview(ANALYST)
    [summary] = listed.partners
    assert summary.added_per_run == (1, 2) and summary.rejected == 3
    assert summary.status == "never synced"
    # The agreement binds both orgs but is not in force yet (valid from 2030).
    assert summary.agreements_in_force == 0
    [terms] = listed.agreements
    assert (terms.in_force, terms.max_tlp, terms.onward) == (False, "TLP:GREEN", "coalition")
    assert terms.parties == tuple(sorted((NODE_ORG, "node-b")))
    detail = service.partner(ANALYST, "node-b")
    assert [r.added for r in detail.reports] == [2, 1]
    assert detail.rejection_reasons == (("bad", 2), ("worse", 1))
    assert [a.id for a in detail.agreements] == ["with-b"]
    assert not detail.has_next
    with pytest.raises(ObjectNotFound):
        service.partner(ANALYST, "node-z")
