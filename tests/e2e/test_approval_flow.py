"""Issue 15 item 1 on loopback with two real nodes: a joint action approved across nodes.

Org A's analyst asks to publish a joint advisory that Org B co-authors; A's policy needs two
approvals, one of them from B. A's operator approves on A (signed by A's key), which is not
enough. B syncs, sees the request with exactly what will be sent, and B's operator approves
on B (signed by B's key). A syncs: B's approval arrives as a STIX opinion, verifies under the
key of B's partner card, and counts; ``require_approved`` passes for the exact bytes and
refuses any other. Every server is stopped on the way out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.approvals import ActionType, State
from entente.bootstrap import approvals, open_node
from entente.cli.local_nodes import LocalNode, LocalNodes
from entente.config import Settings, load_settings
from entente.errors import NotApproved
from entente.services.tokens import org_identity_id
from entente.sharing import Principal, Role

pytestmark = pytest.mark.integration

CASE = "grouping--e2e00000-0000-4000-8000-0000000000a1"
ADVISORY = b"# Joint advisory: Snozberry C2\n\nBlock snozberry.oompa.loompa.\n"


def _settings(node: LocalNode) -> Settings:
    return load_settings(node.env())


def test_a_co_authors_approval_travels_from_node_b_to_node_a_and_counts(tmp_path: Path) -> None:
    with LocalNodes(tmp_path, ["Org A", "Org B"]) as nodes:
        a, b = nodes["Org A"], nodes["Org B"]
        a.init()
        b.init()
        org_a, org_b = org_identity_id("Org A"), org_identity_id("Org B")
        with (a.home / "entente.toml").open("a", encoding="utf-8") as config:
            config.write(
                f'\n[approvals.advisory]\nmin_approvals = 2\nrequired_orgs = ["{org_b}"]\n'
            )
        nodes.agree(
            {
                "id": "a-b",
                "name": "Org A and Org B, joint advisories",
                "parties": ["Org A", "Org B"],
                "max_tlp": "amber",
                "onward_sharing": "none",
            }
        )
        # 1. A's analyst asks (in process: the request is what the advisory part will make).
        alice = Principal("user:alice", org_a, Role.ANALYST, True)
        with open_node(_settings(a)) as opened:
            request = approvals(opened).request(
                alice,
                ActionType.ADVISORY,
                ADVISORY,
                summary="Publish the joint advisory on Snozberry C2 to the public collection",
                targets=["public"],
                refs=[CASE],
                media_type="text/markdown",
                required_orgs=[org_b],
            )
        rid = request.id
        # 2. A's operator approves: one of two, and B has not approved.
        first = a.cli_json("approval", "approve", rid, "--comment", "ours")
        assert (first["state"], first["missing"]) == (
            "pending",
            f"1 more approval(s); an approval from {org_b}",
        )
        with nodes.serving():
            # 3. B syncs and sees exactly what will be sent; B's operator approves on B.
            b.sync()
            shown = b.cli_json("approval", "show", rid)
            assert shown["payload_text"] == ADVISORY.decode()
            assert shown["sha256"] == request.digest
            assert [x["id"] for x in b.cli_json("approval", "list", "--mine")["requests"]] == [rid]
            theirs = b.cli_json("approval", "approve", rid, "--comment", "co-author agrees")
            assert [(x["approver_org"], x["counts"]) for x in theirs["approvals"]] == [
                (org_a, True),
                (org_b, True),
            ]
            # 4. A syncs: B's signed approval arrives and counts.
            a.sync()
        assert not any(node.proc for node in nodes)
        final = a.cli_json("approval", "show", rid)
        assert final["state"] == "approved", final
        assert {(x["approver_org"], x["counts"]) for x in final["approvals"]} == {
            (org_a, True),
            (org_b, True),
        }
        with open_node(_settings(a)) as opened:
            service = approvals(opened)
            decision = service.require_approved(alice, rid, ADVISORY)
            assert decision.state is State.APPROVED
            assert {x.approver_org for x in decision.counted} == {org_a, org_b}
            with pytest.raises(NotApproved, match="needs a new request"):
                service.require_approved(alice, rid, ADVISORY + b"\nOne more line.\n")
