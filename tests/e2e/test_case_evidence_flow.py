"""Issue 14's acceptance end to end, on loopback with two real nodes and a real TSA.

Partner A's matching (``entente match --sightings`` over the Zeek DNS sample of
tests/data/logs) finds hits of an indicator A holds; A opens a case, attaches the sightings,
attributes with an ACH matrix and shares the case with partner B under an agreement that
redacts indicators' descriptions. B syncs and sees the shared copy (without A's unshared
note, its indicator without the description), and answers the shared task with a note
referencing the copy; A syncs and folds the answer in as the task's result. A exports an
evidence package for a law-enforcement org (a party to another agreement of A's), stamped by
OpenSSL's TSA on loopback; ``entente evidence verify`` passes in a process without a network
(``unshare -n``), and flipping any byte of any file, dropping a custody entry, or a signature
from an unknown key each fails naming the file. Every server is stopped on the way out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.evidence.local_tsa import LocalTsa

from entente.cli.local_nodes import LocalNode, LocalNodes, _entente_command
from entente.evidence import layout
from entente.evidence.case_validation import run_case_validate
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.writer import cosign
from entente.federation.keys import generate_key
from entente.services.tokens import org_identity_id

pytestmark = pytest.mark.integration

LOGS = Path(__file__).parents[1] / "data" / "logs" / "zeek" / "zeek-json" / "dns.json.gz"
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
POLICE = "National Police"
CREATED = "2026-11-01T00:00:00.000Z"
INDICATOR = "indicator--e2e00000-0000-4000-8000-000000000001"
CREW = "intrusion-set--e2e00000-0000-4000-8000-000000000002"
OTHERS = "intrusion-set--e2e00000-0000-4000-8000-000000000003"
ANSWER = "note--e2e00000-0000-4000-8000-000000000004"
SECRET_DESCRIPTION = "seen first by A's confidential source"
INTERNAL_NOTE = "internal only: the victim's name"


def _sdo(kind: str, object_id: str, org: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": object_id,
        "created": CREATED,
        "modified": CREATED,
        "created_by_ref": org_identity_id(org),
        "object_marking_refs": [GREEN],
        **properties,
    }


def _no_network(args: list[str]) -> list[str]:
    """``args`` in a process with no network (its own empty network namespace)."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], check=False).returncode:
        pytest.skip("unshare -rn is not permitted here: cannot prove the offline verification")
    return [unshare, "-rn", *args]


def _verify_run(node: LocalNode, package: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _no_network([*_entente_command(), "evidence", "verify", str(package), *options]),
        env=node.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _verify(node: LocalNode, package: Path) -> tuple[int, dict[str, Any]]:
    done = _verify_run(node, package, "--json")
    return done.returncode, orjson.loads(done.stdout)


def _failed(report: dict[str, Any]) -> list[str]:
    return [c["subject"] for c in report["checks"] if not c["passed"]]


def test_a_case_goes_from_matching_hits_to_a_verified_evidence_package(tmp_path: Path) -> None:
    with LocalNodes(tmp_path, ["Org A", "Org B"]) as nodes, LocalTsa() as tsa:
        a, b = nodes["Org A"], nodes["Org B"]
        a.init()
        b.init()
        chain = tmp_path / "tsa-chain.pem"
        chain.write_bytes(tsa.chain_pem)
        with (a.home / "entente.toml").open("a", encoding="utf-8") as config:
            # Sightings carry the default marking: AMBER goes to the police, not to B.
            config.write(
                f'default_marking = "amber"\ntsa_url = "{tsa.url}"\ntsa_chain_file = "{chain}"\n'
            )
        a.ingest(
            [
                _sdo(
                    "indicator",
                    INDICATOR,
                    "Org A",
                    name="Snozberry C2",
                    description=SECRET_DESCRIPTION,
                    pattern="[domain-name:value = 'snozberry.oompa.loompa']",
                    pattern_type="stix",
                    valid_from="2026-01-01T00:00:00Z",
                ),
                _sdo("intrusion-set", CREW, "Org A", name="Oompa crew"),
                _sdo("intrusion-set", OTHERS, "Org A", name="Someone else"),
            ]
        )
        # 1. A's matching finds hits and stores sightings of its indicator.
        summary = a.cli_json("match", str(LOGS), "--sightings")
        assert summary["hits"] > 0, summary
        listed = a.cli_json("objects", "list", "--type", "sighting")["objects"]
        sightings = [
            o["object"]["id"] for o in listed if o["object"]["sighting_of_ref"] == INDICATOR
        ]
        assert sightings
        # 2. A opens a case, attaches the sightings (evidence) and the indicator.
        # The case itself is AMBER: the police may receive it, B (up to GREEN) only the copy.
        case = a.cli_json("case", "new", "Snozberry beaconing", "--tlp", "amber")
        cid, task = case["id"], case["tasks"][0]["id"]
        a.cli_json("case", "attach", cid, *sightings, "--evidence")
        a.cli_json("case", "attach", cid, INDICATOR)
        a.cli_json("case", "note", cid, INTERNAL_NOTE)
        # 3. A attributes with an ACH matrix: the relationship is stored with the case.
        matrix = tmp_path / "matrix.json"
        matrix.write_text(
            json.dumps(
                {
                    "hypotheses": [CREW, OTHERS],
                    "evidence": [
                        {"ref": sightings[0], "reliability": "B", "credibility": "2",
                         "cells": {CREW: "consistent", OTHERS: "inconsistent"}},
                        {"ref": INDICATOR, "reliability": "A", "credibility": "2",
                         "cells": {CREW: "consistent", OTHERS: "neutral"}},
                    ],
                }
            )
        )  # fmt: skip
        attributed = a.cli_json("case", "attribute", cid, str(matrix))
        relationship = attributed["relationship"]
        assert (relationship["relationship_type"], relationship["target_ref"]) == (
            "attributed-to",
            CREW,
        )
        # 4. Agreements: A with B (GREEN, indicators without their description), A with the
        #    police (AMBER, the same redaction).
        nodes.agree(
            {
                "id": "a-b",
                "name": "Org A and Org B",
                "parties": ["Org A", "Org B"],
                "max_tlp": "green",
                "onward_sharing": "none",
                "redact": {"indicator": ["description"]},
            }
        )
        a.add_agreement(
            {
                "id": "a-police",
                "name": "Org A to the National Police, evidence",
                "parties": ["Org A", POLICE],
                "max_tlp": "amber",
                "onward_sharing": "none",
                "redact": {"indicator": ["description"]},
            }
        )
        shared = a.cli_json("case", "share", cid, "--tlp", "green", "--task", task)
        copy_id = shared["id"]
        with nodes.serving():
            # 5. B syncs and sees the shared copy, redacted as agreed.
            synced = b.sync()
            held = {o["object"]["id"]: o["object"] for o in b.objects()}
            assert copy_id in held and cid not in held, (synced, sorted(held))
            assert INTERNAL_NOTE not in json.dumps(held[copy_id])
            assert [t["id"] for t in b.cli_json("case", "show", copy_id)["tasks"]] == [task]
            assert INDICATOR in held and "description" not in held[INDICATOR]
            assert relationship["id"] not in held  # AMBER, as its incident: not for B
            # 6. B answers the shared task with a note referencing the copy; A folds it in.
            b.ingest(
                [
                    _sdo(
                        "note",
                        ANSWER,
                        "Org B",
                        content="The ISP confirmed the C2 host and took it down",
                        object_refs=[copy_id],
                        x_entente_case_task=task,
                    )
                ],
                name="answer.json",
            )
            a.sync()
        assert not any(node.proc for node in nodes)
        folded = a.cli_json("case", "results", cid)["folded"]
        assert folded == [{"task": task, "note": ANSWER}]
        shown = a.cli_json("case", "show", cid)
        answered = next(t for t in shown["tasks"] if t["id"] == task)
        assert answered["done"] and answered["result"].startswith("The ISP confirmed")
        # 7. A exports the evidence package for the police.
        package = tmp_path / "evidence.tar"
        a.cli("evidence", "export", cid, "--for", POLICE, "--out", str(package))
        files = read_tar(package.read_bytes())
        bundle = {o["id"]: o for o in orjson.loads(files[layout.STIX_BUNDLE])["objects"]}
        assert set(sightings) <= set(bundle) and relationship["id"] in bundle
        assert "description" not in bundle[INDICATOR]
        assert SECRET_DESCRIPTION.encode() not in package.read_bytes()
        custody = [orjson.loads(line) for line in files[layout.CUSTODY].splitlines()]
        assert {"acquired", "viewed", "transferred", "exported"} <= {e["event"] for e in custody}
        assert custody[-1]["event"] == "exported" and custody[-1]["agreements"] == ["a-police"]
        assert run_case_validate(files[layout.CASE]) is None
        # 8. Verified with no network; every tampering fails naming the file.
        code, report = _verify(a, package)
        assert (code, report["passed"]) == (0, True), _failed(report)
        # What the recipient reads (shown with pytest -s): the human report, offline.
        shown_report = _verify_run(a, package)
        print(
            f"$ unshare -rn entente evidence verify {package.name} (exit {shown_report.returncode})"
        )
        print(shown_report.stdout)
        for name in sorted(files):
            changed = dict(files)
            data = bytearray(changed[name])
            data[len(data) // 2] ^= 0x01
            changed[name] = bytes(data)
            tampered = tmp_path / "tampered.tar"
            tampered.write_bytes(write_tar(changed))
            code, report = _verify(a, tampered)
            print(f"flip a byte of {name}: exit {code}, failed: {'; '.join(_failed(report))}")
            assert code == 1 and any(name in s for s in _failed(report)), (name, report)
        dropped = dict(files)
        lines = files[layout.CUSTODY].splitlines(keepends=True)
        dropped[layout.CUSTODY] = b"".join(lines[:1] + lines[2:])
        tampered.write_bytes(write_tar(dropped))
        code, report = _verify(a, tampered)
        print(f"drop custody entry 2: exit {code}, failed: {'; '.join(_failed(report))}")
        assert code == 1 and f"{layout.CUSTODY} chain" in _failed(report)
        tampered.write_bytes(cosign(package.read_bytes(), generate_key()))
        code, report = _verify(a, tampered)
        print(f"signature from an unknown key: exit {code}, failed: {'; '.join(_failed(report))}")
        assert code == 1 and f"{layout.ENVELOPE} signatures" in _failed(report)
