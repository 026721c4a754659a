"""Issue 15's second acceptance test on loopback with two real nodes: a joint advisory.

Org A drafts an advisory from the real ATT&CK for ICS release (the Triton campaign's
techniques) and the OASIS Poison Ivy indicators, co-authored by Org B, and asks both
agencies to approve publishing it to A's "Joint advisories" collection. Publishing before
the approvals is refused and stores nothing. A's second analyst approves on A; B syncs,
sees the request, and B's operator approves and co-signs the package on B (``entente
advisory cosign``); the co-signed file goes back to A and B's signed approval comes back by
sync. The package verifies 2-of-2 in a process without a network (``unshare -rn``), its STIX
report parses with the stix2 library, and publishing now stores the report, which a TAXII
read of the collection returns while the advisory's indicators are in A's STIX feed. Every
server is stopped on the way out. Run with ``pytest -s`` to see the steps.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import stix2
from tests.unit.advisory.sample import ICS, INDICATORS, POISON_IVY, TRITON

from entente.approvals import State, Verdict
from entente.bootstrap import approvals, open_node
from entente.cli.local_nodes import LocalNode, LocalNodes, _entente_command
from entente.config import load_settings
from entente.evidence.tarball import read_tar
from entente.services.collections import collection_uuid
from entente.services.tokens import org_identity_id
from entente.sharing import Principal, Role

pytestmark = pytest.mark.integration

COLLECTION = "Joint advisories"
TAXII = "application/taxii+json;version=2.1"


def _techniques() -> list[str]:
    objects = orjson.loads(ICS.read_bytes())["objects"]
    return sorted(
        o["target_ref"]
        for o in objects
        if o["type"] == "relationship"
        and o["source_ref"] == TRITON
        and o["relationship_type"] == "uses"
        and o["target_ref"].startswith("attack-pattern--")
    )


def _step(text: str) -> None:
    print(f"\n== {text}")


def _show(done: subprocess.CompletedProcess[str], command: str) -> None:
    print(f"$ {command}  (exit {done.returncode})")
    print((done.stdout + done.stderr).rstrip())


def _no_network(args: list[str]) -> list[str]:
    """``args`` in a process with no network (its own empty network namespace)."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], check=False).returncode:
        pytest.skip("unshare -rn is not permitted here: cannot prove the offline verification")
    return [unshare, "-rn", *args]


def _verify_offline(
    node: LocalNode, package: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _no_network([*_entente_command(), "advisory", "verify", str(package), *options]),
        env=node.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _collection_objects(node: LocalNode, token: str) -> list[dict[str, Any]]:
    url = f"{node.base_url}/taxii2/api/collections/{collection_uuid(COLLECTION)}/objects/"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}", "Accept": TAXII})
    assert answer.status_code == 200, answer.text
    return list(answer.json().get("objects", []))


def test_a_joint_advisory_is_approved_co_signed_verified_and_published(tmp_path: Path) -> None:
    with LocalNodes(tmp_path, ["Org A", "Org B"]) as nodes:
        a, b = nodes["Org A"], nodes["Org B"]
        a.init()
        b.init()
        org_a, org_b = org_identity_id("Org A"), org_identity_id("Org B")
        with (a.home / "entente.toml").open("a", encoding="utf-8") as config:
            # The collection the advisory is published to holds what was posted to it.
            config.write(
                f'\n[[collections]]\ntitle = "{COLLECTION}"\n'
                f'source_names = ["{collection_uuid(COLLECTION)}"]\n'
                '\n[[collections]]\ntitle = "All objects"\n'
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
        for path in (ICS, POISON_IVY):
            a.cli("ingest", str(path))
        partner_b = next(
            p["name"] for p in a.cli_json("partner", "list")["partners"] if p["org_name"] == "Org B"
        )

        _step("1. A drafts the advisory co-authored by B and asks both agencies to approve")
        out = tmp_path / "advisory"
        objects = [arg for t in _techniques() for arg in ("--object", t)]
        drafted = a.cli(
            "advisory", "new", "--title", "Triton Targets Safety Instrumented Systems",
            "--summary", "Org A and Org B warn of the Triton framework.",
            "--details", "The actors reprogrammed safety controllers.",
            "--object", TRITON, *objects, *(arg for i in INDICATORS for arg in ("--object", i)),
            "--coauthor", partner_b, "--mitigation", "Alert on program changes.",
            "--collection", COLLECTION, "--out", str(out),
        )  # fmt: skip
        _show(drafted, "entente advisory new ... --coauthor org-b --collection 'Joint advisories'")
        assert drafted.returncode == 0
        request_id = next(word for word in drafted.stdout.split() if word.startswith("grouping--"))
        package = out / "advisory.tar"

        _step("2. publishing before the approvals is refused, nothing stored")
        early = a.cli("advisory", "publish", str(package), "--collection", COLLECTION, check=False)
        _show(early, "entente advisory publish advisory.tar --collection 'Joint advisories'")
        assert early.returncode == 2
        assert f"request {request_id} is pending" in early.stderr

        _step("3. A's second analyst approves on A")
        bob = Principal("user:bob", org_a, Role.ANALYST, True)
        with open_node(load_settings(a.env())) as opened:
            approvals(opened).approve(bob, request_id, Verdict.APPROVE, "checked the IOCs")
        shown = a.cli_json("approval", "show", request_id)
        print(f"state {shown['state']}; missing: {shown['missing']}")
        assert (shown["state"], shown["missing"]) == (
            "pending",
            f"1 more approval(s); an approval from {org_b}",
        )

        with nodes.serving():
            _step("4. B syncs, approves and co-signs on B; the co-signed file goes back to A")
            b.sync()
            cosigned_at_b = tmp_path / "cosigned-by-b.tar"
            signed = b.cli(
                "advisory", "cosign", str(package), "--out", str(cosigned_at_b),
                "--comment", "Org B co-authors this advisory",
            )  # fmt: skip
            _show(signed, "entente advisory cosign advisory.tar  # on B")
            assert signed.returncode == 0
            assert request_id in signed.stdout
            received = out / "advisory-cosigned.tar"  # handed back to A as a file
            shutil.copyfile(cosigned_at_b, received)
            a.sync()

            final = a.cli_json("approval", "show", request_id)
            print(
                f"on A: {final['state']}; "
                + ", ".join(f"{x['approver']} ({x['approver_org']})" for x in final["approvals"])
            )
            assert final["state"] == "approved"
            assert {(x["approver_org"], x["counts"]) for x in final["approvals"]} == {
                (org_a, True),
                (org_b, True),
            }

            alone = a.cli(
                "advisory", "publish", str(package), "--collection", COLLECTION, check=False
            )
            _show(alone, "entente advisory publish advisory.tar  # approved, signed by A only")
            assert alone.returncode == 2
            assert "not signed by every agency" in alone.stderr

            _step("5. the co-signed package verifies 2-of-2 offline")
            package = received
            verified = _verify_offline(a, package, "--threshold", "2")
            _show(verified, f"unshare -rn entente advisory verify {package.name} --threshold 2")
            assert verified.returncode == 0
            assert "2 of 2 keys signed, threshold 2" in verified.stdout

            _step("6. the STIX report validates (stix2)")
            bundle = stix2.parse(
                read_tar(package.read_bytes())["advisory.json"].decode(),
                allow_custom=True,
                version="2.1",
            )
            report = next(o for o in bundle.objects if o.type == "report")
            print(f"{report.id}: {report.name!r}, {len(report.object_refs)} object_refs")
            assert set(INDICATORS) <= set(report.object_refs)

            _step("7. publishing now stores the report in the collection and the feed has it")
            token = a.cli_json("token", "create", "--org", "Org A", "--role", "reader")["secret"]
            assert _collection_objects(a, token) == []
            done = a.cli("advisory", "publish", str(package), "--collection", COLLECTION)
            _show(done, f"entente advisory publish {package.name} --collection '{COLLECTION}'")
            assert done.returncode == 0
            held = _collection_objects(a, token)
            print("TAXII collection:", sorted(o["id"] for o in held))
            assert report.id in {o["id"] for o in held}
            feed = httpx.get(
                f"{a.base_url}/feeds/stix?min_score=0", headers={"Authorization": f"Bearer {token}"}
            )
            assert feed.status_code == 200, feed.text
            in_feed = [i for i in INDICATORS if i in feed.text]
            print(f"STIX feed: {len(feed.text)} bytes, the advisory's indicators {in_feed}")
            assert in_feed, (feed.headers, feed.text[:3000])
        assert not any(node.proc for node in nodes)
        with open_node(load_settings(a.env())) as opened:
            assert approvals(opened).status(bob, request_id).decision.state is State.APPROVED
