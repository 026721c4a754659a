"""``entente advisory new|cosign|verify`` on two nodes: drafted on one, co-signed on the
other, verified offline 2-of-2; refusals clear."""

from __future__ import annotations

from pathlib import Path

import orjson
from tests.unit.advisory.sample import ICS, INDICATORS, POISON_IVY
from tests.unit.cli.conftest import cli_for, said

from entente.evidence.tarball import read_tar, write_tar

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
    cosigned = b("advisory", "cosign", str(package))
    assert cosigned.exit_code == 0, (cosigned.output, cosigned.stderr)
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
