"""Signed batches (ADR 0025): one root signature, an RFC 9162 inclusion proof per object."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import InvalidInput, SignatureError
from entente.federation import (
    EXTENSION_ID,
    PublicKey,
    decode_base64url,
    derived_from_of,
    encode_base64url,
    generate_key,
    sign_object,
    signature_info,
    verify_object,
)
from entente.federation.signatures import VerifiedRoots, batch_statement, sign_batch
from entente.stix import parse_object

SIGNER = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
OTHER_ORG = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
KEY = generate_key()
OTHER_KEY = generate_key()
WHERE = f"extensions.{EXTENSION_ID}"


def _indicator(n: int) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--a932fcc6-e032-476c-826f-{n:012d}",
        "created": "2024-03-01T12:00:00.000Z",
        "modified": "2024-03-02T12:00:00.000Z",
        "created_by_ref": SIGNER,
        "name": f"indicator {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
        "pattern_type": "stix",
        "valid_from": "2024-03-01T12:00:00Z",
    }


def _batch(count: int = 7, batch_id: str = "batch-1") -> list[dict[str, Any]]:
    objects = [_indicator(n) for n in range(count)]
    return sign_batch(objects, signer=SIGNER, key=KEY, batch_id=batch_id)


def _public(key: Any = KEY) -> PublicKey:
    public: PublicKey = key.public_key
    return public


class CountingKey:
    """A public key that counts its Ed25519 checks (a test double of a library value)."""

    def __init__(self, key: PublicKey) -> None:
        self.key = key
        self.checks = 0

    def verify(self, signature: bytes, data: bytes) -> bool:
        self.checks += 1
        return self.key.verify(signature, data)

    def __hash__(self) -> int:
        return hash(self.key)


def test_every_object_of_a_batch_verifies_with_one_signature_check() -> None:
    signed = _batch(9)
    counting = CountingKey(_public())
    roots = VerifiedRoots()
    for obj in signed:
        info = verify_object(obj, counting, roots)  # type: ignore[arg-type]  # counts checks
        assert info.signer == SIGNER and info.batch is not None
    assert counting.checks == 1
    assert len(roots) == 1


def test_a_batch_signed_object_stays_valid_stix_and_names_its_proof() -> None:
    signed = _batch(3)
    parse_object(signed[1])
    ours = signed[1]["extensions"][EXTENSION_ID]
    assert "signature" not in ours
    assert ours["batch"]["leaf_index"] == 1 and ours["batch"]["tree_size"] == 3
    assert len(decode_base64url(ours["batch"]["audit_path"]) or b"") == 2 * 32
    assert (
        ours["batch"]["root_signature"]
        == signed[0]["extensions"][EXTENSION_ID]["batch"]["root_signature"]
    )


def test_batch_and_per_object_forms_sign_the_same_leaf() -> None:
    batch = _batch(2)[0]
    single = sign_object(_indicator(0), signer=SIGNER, key=KEY)
    assert derived_from_of(batch) == derived_from_of(single)


def test_a_one_object_batch_has_an_empty_path_and_verifies() -> None:
    (signed,) = _batch(1)
    assert signed["extensions"][EXTENSION_ID]["batch"]["audit_path"] == ""
    verify_object(signed, _public())


def test_the_wrong_key_fails_naming_the_root_signature() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_object(_batch(4)[2], _public(OTHER_KEY))
    assert caught.value.field == f"{WHERE}.batch.root_signature"


def _tamper_object(obj: dict[str, Any]) -> None:
    obj["name"] = "altered"


def _path(obj: dict[str, Any]) -> bytes:
    return decode_base64url(obj["extensions"][EXTENSION_ID]["batch"]["audit_path"]) or b""


def _tamper_path(obj: dict[str, Any]) -> None:
    path = _path(obj)
    obj["extensions"][EXTENSION_ID]["batch"]["audit_path"] = encode_base64url(bytes(32) + path[32:])


def _tamper_index(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["batch"]["leaf_index"] = 0


def _tamper_size(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["batch"]["tree_size"] = 6


def _tamper_batch_id(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["batch"]["id"] = "batch-2"


def _tamper_signer(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["signer"] = OTHER_ORG


def _drop_path_element(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["batch"]["audit_path"] = encode_base64url(_path(obj)[:-32])


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_object,
        _tamper_path,
        _tamper_index,
        _tamper_size,
        _tamper_batch_id,
        _tamper_signer,
        _drop_path_element,
    ],
)
def test_tampering_with_one_object_or_its_proof_is_rejected_and_the_rest_verify(
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    signed = _batch(7)
    roots = VerifiedRoots()
    verify_object(signed[0], _public(), roots)  # the root is already trusted ...
    tampered = copy.deepcopy(signed[3])
    tamper(tampered)
    with pytest.raises(SignatureError) as caught:
        verify_object(tampered, _public(), roots)  # ... and still no way around it
    assert caught.value.field is not None and caught.value.field.startswith(f"{WHERE}.batch")
    for obj in signed:
        verify_object(obj, _public(), roots)


def test_a_root_signature_moved_to_another_batch_does_not_verify() -> None:
    first, second = _batch(4, "batch-a"), _batch(4, "batch-b")
    moved = copy.deepcopy(second[1])
    moved["extensions"][EXTENSION_ID]["batch"]["root_signature"] = first[1]["extensions"][
        EXTENSION_ID
    ]["batch"]["root_signature"]
    with pytest.raises(SignatureError):
        verify_object(moved, _public())


def test_the_statement_binds_signer_batch_size_and_root() -> None:
    root = bytes(range(32))
    base = batch_statement(SIGNER, "b", 3, root)
    assert base != batch_statement(OTHER_ORG, "b", 3, root)
    assert base != batch_statement(SIGNER, "c", 3, root)
    assert base != batch_statement(SIGNER, "b", 4, root)
    assert base != batch_statement(SIGNER, "b", 3, bytes(32))


def _set(member: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        obj["extensions"][EXTENSION_ID]["batch"][member] = value

    return change


def _both_forms(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["signature"] = encode_base64url(bytes(64))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("tree_size", 0), "batch.tree_size"),
        (_set("tree_size", True), "batch.tree_size"),
        (_set("leaf_index", 9), "batch.leaf_index"),
        (_set("id", "no spaces allowed"), "batch.id"),
        (_set("audit_path", "x"), "batch.audit_path"),
        (_set("audit_path", ["AAAA"]), "batch.audit_path"),
        (_set("audit_path", encode_base64url(bytes(33))), "batch.audit_path"),
        (_set("audit_path", encode_base64url(bytes(32 * 4))), "batch.audit_path"),
        (_set("root_signature", "AAAA"), "batch.root_signature"),
        (_set("extra", 1), "batch"),
        (_both_forms, "signature"),
    ],
)
def test_a_malformed_batch_proof_is_a_located_signature_error(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    obj = copy.deepcopy(_batch(4)[2])
    change(obj)
    with pytest.raises(SignatureError) as caught:
        signature_info(obj)
    assert caught.value.field == f"{WHERE}.{field}"


def test_a_batch_needs_a_valid_id_and_an_entry_per_original() -> None:
    with pytest.raises(InvalidInput):
        sign_batch([_indicator(0)], signer=SIGNER, key=KEY, batch_id="bad id")
    with pytest.raises(InvalidInput):
        sign_batch([_indicator(0)], signer=SIGNER, key=KEY, batch_id="b", derived_from=[])
    assert sign_batch([], signer=SIGNER, key=KEY, batch_id="b") == []


def test_redacted_copies_can_be_signed_as_a_batch_naming_their_originals() -> None:
    originals = [_indicator(n) for n in range(3)]
    copies = [{k: v for k, v in o.items() if k != "name"} for o in originals]
    origins = [derived_from_of(o) for o in originals]
    signed = sign_batch(copies, signer=OTHER_ORG, key=OTHER_KEY, batch_id="r", derived_from=origins)
    for obj, origin in zip(signed, origins, strict=True):
        info = verify_object(obj, _public(OTHER_KEY))
        assert info.derived_from is not None and info.derived_from.sha256 == origin["sha256"]


def test_batch_signing_does_not_mutate_its_input() -> None:
    objects = [_indicator(n) for n in range(3)]
    before = copy.deepcopy(objects)
    sign_batch(objects, signer=SIGNER, key=KEY, batch_id="b")
    assert objects == before


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.data())
def test_any_batch_size_verifies_and_any_changed_object_is_refused(
    size: int, data: st.DataObject
) -> None:
    signed = _batch(size)
    roots = VerifiedRoots()
    for obj in signed:
        verify_object(obj, _public(), roots)
    victim = copy.deepcopy(signed[data.draw(st.integers(0, size - 1))])
    victim["name"] = data.draw(st.text(max_size=8).filter(lambda s: s != victim["name"]))
    with pytest.raises(SignatureError):
        verify_object(victim, _public(), roots)


def _outcome(obj: dict[str, Any], roots: VerifiedRoots | None) -> str | None:
    try:
        verify_object(obj, _public(), roots)
    except SignatureError as exc:
        return exc.field
    return None


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_the_root_cache_decides_as_verifying_every_object_afresh(data: st.DataObject) -> None:
    pool = _batch(5, "batch-a") + _batch(3, "batch-b")
    tampers = [_tamper_object, _tamper_path, _tamper_index, _tamper_batch_id, _drop_path_element]
    stream = []
    for _ in range(data.draw(st.integers(1, 12))):
        obj = copy.deepcopy(data.draw(st.sampled_from(pool)))
        if data.draw(st.booleans()):
            tamper = data.draw(st.sampled_from(tampers))
            if tamper is not _drop_path_element or _path(obj):
                tamper(obj)
        stream.append(obj)
    shared = VerifiedRoots()
    assert [_outcome(o, shared) for o in stream] == [_outcome(o, None) for o in stream]
