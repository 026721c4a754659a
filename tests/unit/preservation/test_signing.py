"""The letter's DSSE signature verifies offline and fails on any flipped byte or other key."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest
from tests.unit.preservation.letters import complete

from entente.evidence import dsse
from entente.federation.keys import generate_key
from entente.preservation import (
    LETTER_NAME,
    PREDICATE_TYPE,
    render_letter_pdf,
    sign_letter,
    verify_letter,  # fmt: skip
)

KEY = generate_key()


def _letter() -> tuple[bytes, bytes]:
    request = complete()
    pdf = render_letter_pdf(request, sender="CERT-X", signer_keyid="k")
    return pdf, sign_letter(pdf, request, KEY)


def test_a_signed_letter_verifies_and_its_statement_names_the_pdf_s_sha256() -> None:
    pdf, envelope = _letter()
    check = verify_letter(pdf, envelope, KEY.public_key)
    assert check.passed, check.problems
    assert check.predicate["reference"] == "PR-2026-001"
    assert check.predicate["signer_key"] == KEY.public_key_text
    payload, _ = dsse.read_envelope(envelope)
    statement = orjson.loads(payload)
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"] == [
        {"name": LETTER_NAME, "digest": {"sha256": hashlib.sha256(pdf).hexdigest()}}
    ]


@pytest.mark.parametrize("position", [0, 100, -10])
def test_a_flipped_byte_of_the_pdf_fails(position: int) -> None:
    pdf, envelope = _letter()
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    check = verify_letter(bytes(changed), envelope, KEY.public_key)
    assert check.problems == ("the PDF's SHA-256 is not the one signed: the letter was changed",)


def test_a_flipped_byte_of_the_signed_statement_fails() -> None:
    pdf, envelope = _letter()
    document = orjson.loads(envelope)
    payload = bytearray(base64.b64decode(document["payload"]))
    payload[payload.index(b"PR-2026-001")] ^= 0x01
    document["payload"] = base64.b64encode(bytes(payload)).decode("ascii")
    check = verify_letter(pdf, orjson.dumps(document), KEY.public_key)
    assert not check.passed
    assert any("no valid signature" in p for p in check.problems)


def test_a_flipped_byte_of_the_signature_or_another_key_fails() -> None:
    pdf, envelope = _letter()
    document = orjson.loads(envelope)
    signature = bytearray(base64.b64decode(document["signatures"][0]["sig"]))
    signature[0] ^= 0x01
    document["signatures"][0]["sig"] = base64.b64encode(bytes(signature)).decode("ascii")
    assert not verify_letter(pdf, orjson.dumps(document), KEY.public_key).passed
    assert not verify_letter(pdf, envelope, generate_key().public_key).passed


def test_what_is_not_an_envelope_is_reported_not_raised() -> None:
    pdf, _ = _letter()
    check = verify_letter(pdf, b"{not json", KEY.public_key)
    assert not check.passed and "not a DSSE envelope" in check.problems[0]
