"""Evidence packages end to end: built with a real local TSA, verified offline, tampered."""

from __future__ import annotations

import dataclasses
import io
import tarfile
from collections.abc import Iterator

import orjson
import pytest
from tests.unit.evidence.local_tsa import LocalTsa, make_tsa_certificates
from tests.unit.evidence.sample import custody_entries, sample_input, trust_root
from tests.unit.evidence.validated import verified

from entente.errors import InvalidInput
from entente.evidence import layout
from entente.evidence.case_validation import run_case_validate
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.tsa_client import HttpTimestamper
from entente.evidence.verify import Report
from entente.evidence.writer import (
    build_package,
    check_input,
    cosign,
    package_files,
    predicate,
    sign_package,
)
from entente.federation.keys import NodeKey, generate_key

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    with LocalTsa() as running:
        yield running


@pytest.fixture(scope="module")
def keys() -> tuple[NodeKey, NodeKey, NodeKey]:
    return generate_key(), generate_key(), generate_key()


@pytest.fixture(scope="module")
def package(tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]) -> bytes:
    node = keys[0]
    return build_package(
        sample_input(),
        node_key=node,
        trust=trust_root(node),
        timestamper=HttpTimestamper(tsa.url),
        tsa_chain_pem=tsa.chain_pem,
    )


def verify(package: bytes) -> Report:
    return verified(package)


def failed_subjects(report: Report) -> list[str]:
    return [check.subject for check in report.failures]


def test_a_fresh_package_verifies_with_every_check_passing(package: bytes) -> None:
    report = verify(package)
    assert report.passed, report.failures
    subjects = {check.subject for check in report.checks}
    for name in (
        layout.CASE,
        layout.STIX_BUNDLE,
        layout.CUSTODY,
        layout.REPORT_MD,
        layout.REPORT_PDF,
        layout.TRUST,
        "artifacts/mail.eml",
        "artifacts/page.html",
        f"{layout.ENVELOPE} signatures",
        f"{layout.TOKEN} with {layout.TSA_CHAIN}",
        f"{layout.CUSTODY} chain",
        f"{layout.CASE} CASE",
        f"{layout.STIX_BUNDLE} STIX 2.1",
    ):
        assert name in subjects


def test_the_package_holds_the_promised_files_and_statement(package: bytes) -> None:
    files = read_tar(package)
    assert set(files) == {
        layout.CASE,
        layout.STIX_BUNDLE,
        layout.CUSTODY,
        layout.REPORT_MD,
        layout.REPORT_PDF,
        layout.TRUST,
        layout.ENVELOPE,
        layout.TOKEN,
        layout.TSA_CHAIN,
        layout.SEAL,
        "artifacts/mail.eml",
        "artifacts/page.html",
    }
    envelope = orjson.loads(files[layout.ENVELOPE])
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert files[layout.REPORT_PDF].startswith(b"%PDF-1.4")
    assert files[layout.CUSTODY].count(b"\n") == 4
    case = orjson.loads(files[layout.CASE])
    types = {node["@type"] for node in case["@graph"]}
    assert {
        "case-investigation:Investigation",
        "case-investigation:Authorization",
        "case-investigation:InvestigativeAction",
        "case-investigation:ProvenanceRecord",
        "uco-observable:File",
    } <= types
    exhibits = {
        node["case-investigation:exhibitNumber"]
        for node in case["@graph"]
        if node["@type"] == "case-investigation:ProvenanceRecord"
    }
    assert exhibits == {"A-1", "A-2"}


def test_case_validate_conforms_on_the_package(package: bytes) -> None:
    # Uncached: the real tool, on the very bytes of the package.
    assert run_case_validate(read_tar(package)[layout.CASE]) is None


def test_the_same_input_gives_byte_identical_packages(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    node = keys[0]
    # One TSA answer for both builds: the token (with its random nonce and genTime) is the
    # one part made outside, so the second build reuses the first build's real answer.
    asked = HttpTimestamper(tsa.url)
    answers: list[bytes] = []

    def answer(request: bytes) -> bytes:
        if not answers:
            answers.append(asked(request))
        return answers[0]

    builds = [
        build_package(
            sample_input(),
            node_key=node,
            trust=trust_root(node),
            timestamper=answer,
            tsa_chain_pem=tsa.chain_pem,
        )
        for _ in range(2)
    ]
    assert builds[0] == builds[1]
    assert tsa.requests >= 1
    with tarfile.open(fileobj=io.BytesIO(builds[0])) as archive:
        members = archive.getmembers()
    assert [member.name for member in members] == sorted(member.name for member in members)
    for member in members:
        assert (member.mtime, member.uid, member.gid, member.mode) == (0, 0, 0, 0o644)
        assert member.uname == member.gname == ""
        assert member.pax_headers == {}


def _flip(package: bytes, name: str) -> bytes:
    files = read_tar(package)
    data = bytearray(files[name])
    data[len(data) // 2] ^= 0x01
    files[name] = bytes(data)
    return write_tar(files)


@pytest.mark.parametrize(
    "name",
    [
        layout.CASE,
        layout.STIX_BUNDLE,
        layout.CUSTODY,
        layout.REPORT_MD,
        layout.REPORT_PDF,
        layout.TRUST,
        layout.ENVELOPE,
        layout.TOKEN,
        layout.TSA_CHAIN,
        layout.SEAL,
        "artifacts/mail.eml",
        "artifacts/page.html",
    ],
)
def test_flipping_a_byte_of_any_file_fails_naming_that_file(package: bytes, name: str) -> None:
    report = verify(_flip(package, name))
    assert not report.passed
    assert any(name in subject for subject in failed_subjects(report)), report.failures


def test_every_file_of_the_package_is_covered_by_the_flip_test(package: bytes) -> None:
    covered = {
        layout.CASE, layout.STIX_BUNDLE, layout.CUSTODY, layout.REPORT_MD, layout.REPORT_PDF,
        layout.TRUST, layout.ENVELOPE, layout.TOKEN, layout.TSA_CHAIN, layout.SEAL,
        "artifacts/mail.eml", "artifacts/page.html",
    }  # fmt: skip
    assert set(read_tar(package)) == covered


def test_dropping_a_custody_line_from_the_package_fails_the_digest_and_the_chain(
    package: bytes,
) -> None:
    files = read_tar(package)
    lines = files[layout.CUSTODY].splitlines(keepends=True)
    files[layout.CUSTODY] = b"".join(lines[:1] + lines[2:])
    failed = failed_subjects(verify(write_tar(files)))
    assert layout.CUSTODY in failed
    assert f"{layout.CUSTODY} chain" in failed


@pytest.mark.parametrize("dropped", [0, 1, 3])
def test_a_package_signed_over_a_custody_log_missing_an_entry_fails_the_chain(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey], dropped: int
) -> None:
    # Signed by the node itself: only the chain (and the Statement's head) can tell.
    node = keys[0]
    entries = custody_entries()
    del entries[dropped]
    if dropped == 3:  # dropping the last leaves a sound chain: the Statement's head names it
        entries = entries[:3]
    evidence, trust = sample_input(custody=entries), trust_root(node)
    if dropped != 3:
        with pytest.raises(InvalidInput, match=f"entry {dropped + 1}: prev does not match"):
            check_input(evidence)
    built = sign_package(  # what a node that skipped the check would sign
        package_files(evidence, trust),
        predicate(evidence),
        node_key=node,
        trust=trust,
        timestamper=HttpTimestamper(tsa.url),
        tsa_chain_pem=tsa.chain_pem,
    )
    report = verify(built)
    if dropped == 3:
        assert report.passed  # a shorter log, honestly signed, is a different log
    else:
        chain = next(c for c in report.checks if c.subject == f"{layout.CUSTODY} chain")
        assert not chain.passed
        assert f"entry {dropped + 1}: prev does not match" in chain.detail


def test_a_signature_from_an_unknown_key_fails(
    package: bytes, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    stranger = generate_key()
    report = verify(cosign(package, stranger))
    signatures = next(c for c in report.checks if c.subject == f"{layout.ENVELOPE} signatures")
    assert not signatures.passed
    assert "signature by unknown key" in signatures.detail


def test_a_package_signed_only_by_an_unknown_key_fails(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    node, stranger = keys[0], generate_key()
    built = build_package(
        sample_input(),
        node_key=node,
        trust=trust_root(node),
        timestamper=HttpTimestamper(tsa.url),
        tsa_chain_pem=tsa.chain_pem,
    )
    files = read_tar(built)
    envelope = orjson.loads(files[layout.ENVELOPE])
    from entente.evidence import dsse

    payload = dsse.read_envelope(files[layout.ENVELOPE])[0]
    envelope["signatures"] = [dsse.sign(stranger, payload)]
    files[layout.ENVELOPE] = orjson.dumps(envelope)
    failed = failed_subjects(verify(write_tar(files)))
    assert f"{layout.ENVELOPE} signatures" in failed
    assert f"{layout.TOKEN} with {layout.TSA_CHAIN}" in failed


def test_two_of_three_needs_a_co_signature(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    node, partner_b, partner_c = keys
    built = build_package(
        sample_input(),
        node_key=node,
        trust=trust_root(node, (partner_b, partner_c), threshold=2),
        timestamper=HttpTimestamper(tsa.url),
        tsa_chain_pem=tsa.chain_pem,
    )
    alone = verify(built)
    signatures = next(c for c in alone.checks if c.subject == f"{layout.ENVELOPE} signatures")
    assert not signatures.passed
    assert "1 valid signatures, the trust root needs 2" in signatures.detail
    cosigned = verify(cosign(built, partner_c))
    assert cosigned.passed, cosigned.failures


def test_co_signing_at_build_time_meets_the_threshold(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    node, partner_b, partner_c = keys
    built = build_package(
        sample_input(),
        node_key=node,
        trust=trust_root(node, (partner_b, partner_c), threshold=3),
        timestamper=HttpTimestamper(tsa.url),
        tsa_chain_pem=tsa.chain_pem,
        cosigners=(partner_b, partner_c),
    )
    assert verify(built).passed


def test_a_timestamp_from_another_tsa_root_fails(
    package: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    files = read_tar(package)
    files[layout.TSA_CHAIN] = make_tsa_certificates(tmp_path_factory.mktemp("other"), "Other")
    failed = failed_subjects(verify(write_tar(files)))
    assert failed == [
        f"{layout.TOKEN} with {layout.TSA_CHAIN}",
        f"{layout.SEAL} over {layout.TOKEN} and {layout.TSA_CHAIN}",
    ]


def test_an_invalid_stix_object_fails_the_stix_check(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    node = keys[0]
    broken: dict[str, object] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000099",
        "created": "2026-02-28T09:00:00.000Z",
        "modified": "2026-02-28T09:00:00.000Z",
        "pattern": "[domain-name:value = 'x.example']",
        "pattern_type": "stix",
    }  # valid_from is required (STIX 2.1 §4.7)
    evidence, trust = sample_input(extra_objects=(broken,)), trust_root(node)
    with pytest.raises(InvalidInput, match="valid_from"):
        build_package(
            evidence,
            node_key=node,
            trust=trust,
            timestamper=HttpTimestamper(tsa.url),
            tsa_chain_pem=tsa.chain_pem,
        )
    built = sign_package(  # what a node that skipped the check would sign
        package_files(evidence, trust),
        predicate(evidence),
        node_key=node,
        trust=trust,
        timestamper=HttpTimestamper(tsa.url),
        tsa_chain_pem=tsa.chain_pem,
    )
    report = verify(built)
    assert failed_subjects(report) == [f"{layout.STIX_BUNDLE} STIX 2.1"]
    assert "indicator--00000000-0000-4000-8000-000000000099" in report.failures[0].detail


def test_a_truncated_archive_is_reported_not_raised(package: bytes) -> None:
    report = verify(package[:700])
    assert not report.passed
    assert failed_subjects(report)[0] in {"package", f"{layout.TRUST}"}


def test_case_validate_rejects_a_graph_that_breaks_case(package: bytes) -> None:
    case = orjson.loads(read_tar(package)[layout.CASE])
    for node in case["@graph"]:
        for facet in node.get("uco-core:hasFacet", []):
            if "uco-observable:sizeInBytes" in facet:
                facet["uco-observable:sizeInBytes"] = "large"  # UCO: xsd:integer
    problem = run_case_validate(orjson.dumps(case))
    assert problem is not None
    assert problem.startswith("case_validate: does not conform")
    assert "sizeInBytes" in problem or "integer" in problem


@pytest.mark.parametrize("name", sorted(layout.UNSIGNED))
def test_flipping_any_bit_pattern_of_any_byte_of_the_unsigned_files_fails(
    package: bytes, name: str
) -> None:
    # The files made after the Statement: every byte position, each with its low bit flipped.
    files = read_tar(package)
    original = files[name]
    passed_at = []
    for position in range(len(original)):
        data = bytearray(original)
        data[position] ^= 0x01
        files[name] = bytes(data)
        report = verified(write_tar(files))
        if report.passed or not any(name in s for s in failed_subjects(report)):
            passed_at.append(position)
    assert passed_at == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"artifacts": {"mail.eml": b"m", "page.html": b"p", "../up.txt": b"x"}},
            "plain file name",
        ),
        ({"exhibits": ()}, "no exhibit 'A-1'"),
        ({"artifacts": {"mail.eml": b"x"}}, "no artifact 'page.html'"),
        ({"custody": tuple(custody_entries()[1:])}, "entry 1: prev does not match"),
        ({"created": "yesterday"}, "created"),
    ],
)
def test_a_bad_input_is_refused_before_the_tsa_is_asked(
    tsa: LocalTsa,
    keys: tuple[NodeKey, NodeKey, NodeKey],
    change: dict[str, object],
    reason: str,
) -> None:
    node = keys[0]
    evidence = dataclasses.replace(sample_input(), **change)  # type: ignore[arg-type]
    asked = tsa.requests
    with pytest.raises(InvalidInput, match=reason):
        build_package(
            evidence,
            node_key=node,
            trust=trust_root(node),
            timestamper=HttpTimestamper(tsa.url),
            tsa_chain_pem=tsa.chain_pem,
        )
    assert tsa.requests == asked


def test_a_node_key_that_is_not_the_trust_roots_is_refused(
    tsa: LocalTsa, keys: tuple[NodeKey, NodeKey, NodeKey]
) -> None:
    with pytest.raises(InvalidInput, match="node's key"):
        build_package(
            sample_input(),
            node_key=keys[1],
            trust=trust_root(keys[0]),
            timestamper=HttpTimestamper(tsa.url),
            tsa_chain_pem=tsa.chain_pem,
        )


def test_a_flipped_byte_in_any_tar_header_fails(package: bytes) -> None:
    # A damaged header of a later member ends Python's reading of the archive there: the
    # files after it go missing, and the check names them.
    with tarfile.open(fileobj=io.BytesIO(package)) as archive:
        headers = [member.offset for member in archive.getmembers()]
    assert len(headers) == 12
    for offset in headers:
        damaged = bytearray(package)
        damaged[offset + 136] ^= 0x01  # inside the mtime field (ustar: offset 136, 12 octets)
        assert not verify(bytes(damaged)).passed, offset
