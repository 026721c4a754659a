"""DSSE PAE and envelopes: the spec's test vector and a strict reader."""

from __future__ import annotations

import base64

import orjson
import pytest

from entente.errors import MalformedDocument
from entente.evidence import dsse
from entente.evidence.model import key_id
from entente.federation.keys import generate_key


def test_pae_matches_the_dsse_protocol_example() -> None:
    # DSSE protocol.md, "Test vector": PAE of this type and body.
    assert (
        dsse.pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert dsse.pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"


def test_an_envelope_round_trips_and_its_signature_covers_the_pae() -> None:
    key = generate_key()
    payload = dsse.statement({"a.txt": b"A"}, {"case_id": "x"})
    read_payload, signatures = dsse.read_envelope(dsse.envelope(payload, [dsse.sign(key, payload)]))
    assert read_payload == payload
    ((keyid, signature),) = signatures
    assert keyid == key_id(key.public_key)
    assert key.public_key.verify(signature, dsse.pae(dsse.PAYLOAD_TYPE, payload))
    assert not key.public_key.verify(signature, payload)
    statement = orjson.loads(payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [
        {
            "name": "a.txt",
            "digest": {
                "sha256": "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd"
            },
        }
    ]


def test_a_non_canonical_base64_signature_is_refused() -> None:
    key = generate_key()
    entry = dsse.sign(key, b"x")
    text = entry["sig"]
    assert text.endswith("==")
    # The last data character carries unused bits; setting one keeps the decoded bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = text[-3]
    respelled = text[:-3] + alphabet[alphabet.index(last) ^ 0x01] + "=="
    assert base64.b64decode(respelled) == base64.b64decode(text)
    entry["sig"] = respelled
    with pytest.raises(MalformedDocument, match="canonical"):
        dsse.read_envelope(dsse.envelope(b"x", [entry]))


@pytest.mark.parametrize(
    "document",
    [b"[]", b"{}", b'{"payloadType": "text/plain", "payload": "", "signatures": []}', b"\xff"],
)
def test_other_shapes_are_not_envelopes(document: bytes) -> None:
    with pytest.raises(MalformedDocument):
        dsse.read_envelope(document)
