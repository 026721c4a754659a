"""``entente advisory new|cosign|verify|publish`` on two nodes: drafted on one, co-signed on
the other, verified offline 2-of-2; published after two approvals; refusals clear."""

from __future__ import annotations

from pathlib import Path

import orjson
from tests.unit.advisory.sample import ICS, INDICATORS, POISON_IVY
from tests.unit.cli.conftest import cli_for, said

from entente.approvals import Verdict
from entente.bootstrap import advisories, approvals, open_node
from entente.config import load_settings
from entente.evidence.tarball import read_tar, write_tar
from entente.services import node_org_id
from entente.sharing import Principal, Role

T0855 = "attack-pattern--40b300ba-f553-48bf-862e-9471b220d455"  # Unauthorized Command Message


def test_two_nodes_draft_co_sign_and_verify_an_advisory(tmp_path: Path) -> None:
    a = cli_for(tmp_path / "a", org="CERT A")
    b = cli_for(tmp_path / "b", org="CERT B")
    card = tmp_path / "b-card.json"
    assert b("partner", "card", "--out", str(card), "--url", "https://127.0.0.1:9").exit_code == 0
    added = a("partner", "add", "--card", str(card), "--token", "t", "--name", "cert-b")
    assert added.exit_code == 0, added.output
    for path in (ICS, POISON_IVY):
        assert a("ingest", str(path)).exit_code == 0
    out = tmp_path / "advisory"
    made = a(
        "advisory", "new", "--title", "Triton", "--summary", "A joint warning.",
        "--object", T0855, "--object", INDICATORS[0], "--coauthor", "cert-b",
        "--mitigation", "Alert on program changes.", "--out", str(out),
    )  # fmt: skip
    assert made.exit_code == 0, (made.output, made.stderr)
    assert "to be co-signed by CERT B" in made.stdout
    package = out / "advisory.tar"
    assert (out / "advisory.pdf").read_bytes().startswith(b"%PDF-1.4")
    assert "T0855" in (out / "advisory.md").read_text()

    alone = a("advisory", "verify", str(package), "--threshold", "2")
    assert alone.exit_code == 1
    assert "1 valid signatures, the trust root needs 2" in said(alone)
    # Co-signing approves: without the request (synced from A: tests/e2e) B signs nothing.
    before = package.read_bytes()
    refused = b("advisory", "cosign", str(package))
    assert refused.exit_code == 2
    assert "no approval request for this advisory on this node" in said(refused)
    assert package.read_bytes() == before
    with open_node(
        load_settings({"ENTENTE_HOME": str(tmp_path / "b"), "ENTENTE_ORG": "CERT B"})
    ) as node_b:
        package.write_bytes(advisories(node_b).cosign(before))
    both = a("advisory", "verify", str(package), "--threshold", "2", "--json")
    assert both.exit_code == 0, both.output
    assert orjson.loads(both.stdout)["passed"] is True

    files = read_tar(package.read_bytes())
    files["advisory.pdf"] = files["advisory.pdf"].replace(b"Triton", b"Tr1ton", 1)
    tampered = tmp_path / "tampered.tar"
    tampered.write_bytes(write_tar(files))
    failed = a("advisory", "verify", str(tampered))
    assert failed.exit_code == 1
    assert "FAILED advisory.pdf: SHA-256 does not match the signed Statement" in said(failed)


def test_refusals_are_clear(tmp_path: Path) -> None:
    a = cli_for(tmp_path / "a", org="CERT A")
    out = tmp_path / "advisory"
    nothing = a("advisory", "new", "--title", "t", "--summary", "s", "--out", str(out))
    assert nothing.exit_code == 2 and "from a case or from chosen objects" in said(nothing)
    unknown = a(
        "advisory", "new", "--title", "t", "--summary", "s", "--out", str(out),
        "--object", T0855,
    )  # fmt: skip
    assert unknown.exit_code != 0 and "no such object" in said(unknown)
    assert not out.exists()
    missing = a("advisory", "verify", str(tmp_path / "nope.tar"))
    assert missing.exit_code == 2 and "nope.tar" in said(missing)
    stranger = a("advisory", "cosign", str(tmp_path / "nope.tar"))
    assert stranger.exit_code == 2


def test_an_advisory_is_published_to_a_collection_only_after_two_approvals(tmp_path: Path) -> None:
    a = cli_for(tmp_path / "a", org="CERT A")
    for path in (ICS, POISON_IVY):
        assert a("ingest", str(path)).exit_code == 0
    out = tmp_path / "advisory"
    made = a(
        "advisory", "new", "--title", "Triton", "--summary", "A warning.", "--object", T0855,
        "--object", INDICATORS[0], "--collection", "All objects", "--out", str(out),
    )  # fmt: skip
    assert made.exit_code == 0, (made.output, made.stderr)
    request_id = next(w for w in made.stdout.split() if w.startswith("grouping--"))
    package = str(out / "advisory.tar")
    early = a("advisory", "publish", package, "--collection", "All objects")
    assert early.exit_code == 2
    assert f"request {request_id} is pending: 2 more approval(s)" in said(early)
    report_id = next(w for w in made.stdout.split() if w.startswith("report--")).rstrip(",")

    def reports() -> set[str]:
        listed = a("objects", "list", "--type", "report", "--json")
        return {o["id"] for o in orjson.loads(listed.stdout)["objects"]}

    assert report_id not in reports()
    nowhere = a("advisory", "publish", package, "--collection", "Nowhere")
    assert nowhere.exit_code == 2 and "no collection 'Nowhere'" in said(nowhere)

    # The operator asked; two others approve (in process: the UI's and REST's users).
    settings = load_settings({"ENTENTE_HOME": str(tmp_path / "a"), "ENTENTE_ORG": "CERT A"})
    org = node_org_id("CERT A")
    with open_node(settings) as node_a:
        for name in ("bob", "carol"):
            who = Principal(f"user:{name}", org, Role.ANALYST, True)
            approvals(node_a).approve(who, request_id, Verdict.APPROVE, "ok")
    done = a("advisory", "publish", package, "--collection", "All objects")
    assert done.exit_code == 0, (done.output, done.stderr)
    assert f"approved by request(s) {request_id}" in " ".join(done.stdout.split())
    assert report_id in reports()
