"""Advisory packages: signed by the author, co-signed 2-of-2, verified offline, tampered, and
the PDF rendered by poppler's ``pdftoppm``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import stix2
from tests.unit.advisory.sample import attack_data, draft, selection

from entente.advisory import (
    Advisory,
    build_advisory,
    build_package,
    cosign_package,
    read_predicate,
    trust_root,
    verify_advisory,
)
from entente.errors import InvalidInput, MalformedDocument
from entente.evidence import TrustedKey
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.verify import Report
from entente.evidence.writer import cosign
from entente.federation.keys import generate_key
from entente.stix import Tlp

AUTHOR_KEY, COAUTHOR_KEY, STRANGER_KEY = generate_key(), generate_key(), generate_key()
TRUST = trust_root(
    TrustedKey("Agency A", AUTHOR_KEY.public_key), [TrustedKey("Agency B", COAUTHOR_KEY.public_key)]
)


@pytest.fixture(scope="module")
def advisory() -> Advisory:
    return build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)


@pytest.fixture(scope="module")
def signed(advisory: Advisory) -> bytes:
    return build_package(advisory, author_key=AUTHOR_KEY, trust=TRUST)


def _failed(report: Report) -> dict[str, str]:
    return {check.subject: check.detail for check in report.failures}


def test_one_signature_of_two_fails_and_both_pass(signed: bytes) -> None:
    alone = verify_advisory(signed)
    assert not alone.passed
    assert (
        "1 valid signatures, the trust root needs 2"
        in _failed(alone)["statement.intoto.json signatures"]
    )
    both = verify_advisory(cosign_package(signed, COAUTHOR_KEY), TRUST, threshold=2)
    assert both.passed, both.failures
    subjects = [check.subject for check in both.checks]
    for name in ("advisory.json", "advisory.md", "advisory.pdf", "trust.json"):
        assert name in subjects
    assert "advisory.json STIX 2.1" in subjects and "advisory.json report" in subjects


def test_a_signature_by_an_unknown_key_fails(signed: bytes) -> None:
    with pytest.raises(InvalidInput, match="not among the advisory's co-authors"):
        cosign_package(signed, STRANGER_KEY)
    # Added by other means, it is named by the verifier.
    forged = cosign(cosign_package(signed, COAUTHOR_KEY), STRANGER_KEY)
    detail = _failed(verify_advisory(forged, TRUST))["statement.intoto.json signatures"]
    assert "signature by unknown key" in detail


def test_the_recipients_trust_root_is_what_counts(signed: bytes) -> None:
    both = cosign_package(signed, COAUTHOR_KEY)
    other = trust_root(
        TrustedKey("Agency A", AUTHOR_KEY.public_key),
        [TrustedKey("Agency C", STRANGER_KEY.public_key)],
    )
    report = verify_advisory(both, other)
    assert "signature by unknown key" in _failed(report)["statement.intoto.json signatures"]
    assert "threshold" in _failed(verify_advisory(both, TRUST, threshold=3))


@pytest.mark.parametrize("name", ["advisory.json", "advisory.md", "advisory.pdf", "trust.json"])
def test_a_flipped_byte_names_the_file(signed: bytes, name: str) -> None:
    files = read_tar(cosign_package(signed, COAUTHOR_KEY))
    data = bytearray(files[name])
    data[len(data) // 2] ^= 0x01
    files[name] = bytes(data)
    failed = _failed(verify_advisory(write_tar(files), TRUST))
    assert failed[name] == "SHA-256 does not match the signed Statement"


def test_an_added_file_is_named(signed: bytes) -> None:
    files = read_tar(cosign_package(signed, COAUTHOR_KEY))
    files["extra.txt"] = b"not signed"
    assert _failed(verify_advisory(write_tar(files), TRUST))["extra.txt"] == (
        "in the package but not listed in the Statement"
    )


def test_the_same_advisory_and_keys_give_the_same_bytes(advisory: Advisory, signed: bytes) -> None:
    assert build_package(advisory, author_key=AUTHOR_KEY, trust=TRUST) == signed
    assert read_predicate(signed)["attack_releases"] == ["ICS ATT&CK v18.1"]
    with pytest.raises(InvalidInput, match="trust root's node key"):
        build_package(advisory, author_key=COAUTHOR_KEY, trust=TRUST)
    with pytest.raises(MalformedDocument):
        read_predicate(b"not a tar")


def test_the_bundle_in_the_package_parses_with_stix2(signed: bytes) -> None:
    bundle = read_tar(signed)["advisory.json"].decode()
    parsed = stix2.parse(bundle, allow_custom=True, version="2.1")
    assert sum(1 for o in parsed.objects if o.type == "report") == 1


def _pdftoppm() -> str:
    """poppler's ``pdftoppm``; the test is skipped without it, but fails under ``CI=true``."""
    path = shutil.which("pdftoppm")
    if path is None:
        message = "pdftoppm is not installed (apt-get install poppler-utils); CI=true fails"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_the_pdf_renders_a_page_image_per_page(signed: bytes, tmp_path: Path) -> None:
    pdftoppm = _pdftoppm()
    pdf = read_tar(signed)["advisory.pdf"]
    (tmp_path / "advisory.pdf").write_bytes(pdf)
    run = subprocess.run(
        [pdftoppm, "-png", "-r", "60", str(tmp_path / "advisory.pdf"), str(tmp_path / "page")],
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0 and not run.stderr, run.stderr
    count = int(re.search(rb"/Count (\d+)", pdf).group(1))  # type: ignore[union-attr]
    pages = sorted(tmp_path.glob("page-*.png"))
    assert count >= 3 and len(pages) == count
    assert all(page.read_bytes().startswith(b"\x89PNG") for page in pages)
    # Every page carries the TLP banner at its top and its bottom (a content stream each).
    assert pdf.count(b"(TLP:AMBER) Tj") == 2 * count
