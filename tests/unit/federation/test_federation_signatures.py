"""Signed provenance: an Ed25519 signature in a STIX 2.1 property-extension (§7.3)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import InvalidInput, InvalidObject, SignatureError
from entente.federation import (
    EXTENSION_ID,
    SIGNING_IDENTITY_ID,
    DerivedFrom,
    NodeKey,
    derived_from_of,
    encode_base64url,
    extension_definition,
    generate_key,
    sign_object,
    signature_info,
    signing_identity,
    verify_object,
)
from entente.stix import (
    BUILTIN_MARKINGS,
    ObjectKind,
    canonical_json,
    deterministic_id,
    parse_object,
)

SIGNER = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
OTHER_ORG = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
OTHER_EXTENSION = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
KEY = generate_key()


def _indicator() -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
        "created": "2024-03-01T12:00:00.000Z",
        "modified": "2024-03-02T12:00:00.000Z",
        "created_by_ref": SIGNER,
        "name": "Malicious site hosting downloader",
        "pattern": "[url:value = 'http://x4z9arb.cn/4712/']",
        "pattern_type": "stix",
        "valid_from": "2024-03-01T12:00:00Z",
        "confidence": 80,
        "labels": ["c2"],
        "object_marking_refs": [AMBER],
        "external_references": [{"source_name": "feed", "url": "https://feed.example/1"}],
        "extensions": {OTHER_EXTENSION: {"extension_type": "property-extension", "rank": 3}},
    }


def _signed() -> dict[str, Any]:
    return sign_object(_indicator(), signer=SIGNER, key=KEY)


# -- the extension-definition ---------------------------------------------------------------


def test_extension_definition_is_a_valid_stix_object_of_ours() -> None:
    definition = extension_definition()
    parsed = parse_object(definition)
    assert parsed.kind is ObjectKind.META
    assert parsed.id == EXTENSION_ID
    assert parsed.created_by_ref == SIGNING_IDENTITY_ID
    assert definition["extension_types"] == ["property-extension"]
    assert definition["version"] == "1.1.0"  # 1.1.0 added signed batches (ADR 0025)
    assert definition["name"] == "Entente signed provenance"
    assert isinstance(definition["schema"], str) and "RFC 8785" in definition["schema"]


def test_signing_identity_is_a_valid_identity() -> None:
    parsed = parse_object(signing_identity())
    assert parsed.type == "identity"
    assert parsed.id == SIGNING_IDENTITY_ID


def test_the_ids_are_derived_deterministically() -> None:
    derived = deterministic_id("extension-definition", "entente", "signed-provenance", "1.0")
    assert derived == EXTENSION_ID
    assert deterministic_id("identity", "entente", "project") == SIGNING_IDENTITY_ID


def test_the_definitions_are_the_same_on_every_call() -> None:
    assert canonical_json(extension_definition()) == canonical_json(extension_definition())
    assert canonical_json(signing_identity()) == canonical_json(signing_identity())
    extension_definition()["name"] = "changed"  # a fresh dict each time: callers may mutate
    assert extension_definition()["name"] == "Entente signed provenance"


# -- signing and verifying ------------------------------------------------------------------


def test_sign_and_verify_round_trip() -> None:
    signed = _signed()
    info = verify_object(signed, KEY.public_key)
    assert info.signer == SIGNER
    assert info.algorithm == "Ed25519"
    assert info.canonicalization == "RFC8785"
    assert len(info.signature) == 64
    assert info.derived_from is None
    ours = signed["extensions"][EXTENSION_ID]
    assert set(ours) == {"extension_type", "signer", "algorithm", "canonicalization", "signature"}
    assert ours["extension_type"] == "property-extension"


def test_the_signature_covers_the_canonical_json_without_the_signature_member() -> None:
    signed = _signed()
    unsigned = copy.deepcopy(signed)
    signature = unsigned["extensions"][EXTENSION_ID].pop("signature")
    # Ed25519 is deterministic (RFC 8032 §5.1.6): signing the same bytes gives the same value.
    assert signature == encode_base64url(KEY.sign(canonical_json(unsigned)))


def test_signing_neither_mutates_the_input_nor_drops_other_extensions() -> None:
    original = _indicator()
    before = copy.deepcopy(original)
    signed = sign_object(original, signer=SIGNER, key=KEY)
    assert original == before
    assert signed["extensions"][OTHER_EXTENSION] == before["extensions"][OTHER_EXTENSION]
    assert {k: v for k, v in signed.items() if k != "extensions"} == {
        k: v for k, v in before.items() if k != "extensions"
    }


def test_an_object_without_extensions_gains_only_ours() -> None:
    plain = _indicator()
    del plain["extensions"]
    signed = sign_object(plain, signer=SIGNER, key=KEY)
    assert list(signed["extensions"]) == [EXTENSION_ID]
    verify_object(signed, KEY.public_key)


def test_a_signed_object_still_parses_as_stix() -> None:
    signed = _signed()
    parsed = parse_object(signed)
    assert parsed.raw is signed
    assert parsed.object_marking_refs == (AMBER,)


def test_builtin_marking_definitions_can_be_signed_and_still_parse() -> None:
    for marking in BUILTIN_MARKINGS:
        signed = sign_object(dict(marking), signer=SIGNER, key=KEY)
        parse_object(signed)
        verify_object(signed, KEY.public_key)


def test_re_signing_replaces_the_earlier_signature() -> None:
    other = generate_key()
    resigned = sign_object(_signed(), signer=OTHER_ORG, key=other)
    assert verify_object(resigned, other.public_key).signer == OTHER_ORG
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(resigned, KEY.public_key)


def test_a_wrong_key_fails_with_the_signer_named() -> None:
    with pytest.raises(SignatureError, match=f"signature does not verify for signer {SIGNER}"):
        verify_object(_signed(), generate_key().public_key)


def test_key_order_and_whitespace_do_not_matter() -> None:
    signed = _signed()
    reordered = json.loads(json.dumps(signed, indent=4, sort_keys=True))
    reversed_order = dict(reversed(list(signed.items())))
    for variant in (reordered, reversed_order, orjson.loads(orjson.dumps(signed))):
        verify_object(variant, KEY.public_key)


Mutation = Callable[[dict[str, Any]], None]


def _set_marking(obj: dict[str, Any]) -> None:
    obj["object_marking_refs"] = [GREEN]


def _drop_marking(obj: dict[str, Any]) -> None:
    del obj["object_marking_refs"]


def _nested_url(obj: dict[str, Any]) -> None:
    obj["external_references"][0]["url"] = "https://feed.example/2"


def _other_extension(obj: dict[str, Any]) -> None:
    obj["extensions"][OTHER_EXTENSION]["rank"] = 4


def _drop_other_extension(obj: dict[str, Any]) -> None:
    del obj["extensions"][OTHER_EXTENSION]


def _signer(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["signer"] = OTHER_ORG


def _add_property(obj: dict[str, Any]) -> None:
    obj["x_note"] = "added on the way"


def _confidence(obj: dict[str, Any]) -> None:
    obj["confidence"] = 81


def _pattern(obj: dict[str, Any]) -> None:
    obj["pattern"] = "[url:value = 'http://x4z9arb.cn/4713/']"


def _label_order(obj: dict[str, Any]) -> None:
    obj["labels"] = ["c2", "phishing"]


def _derived_from(obj: dict[str, Any]) -> None:
    obj["extensions"][EXTENSION_ID]["derived_from"] = derived_from_of(_indicator())


@pytest.mark.parametrize(
    "mutate",
    [
        _set_marking,
        _drop_marking,
        _nested_url,
        _other_extension,
        _drop_other_extension,
        _signer,
        _add_property,
        _confidence,
        _pattern,
        _label_order,
        _derived_from,
    ],
)
def test_any_change_fails_verification(mutate: Mutation) -> None:
    tampered = _signed()
    tampered = copy.deepcopy(tampered)
    mutate(tampered)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(tampered, KEY.public_key)


def test_unsupported_algorithm_and_canonicalization_are_named() -> None:
    for member, value, reason in [
        ("algorithm", "RS256", "unsupported algorithm 'RS256'"),
        ("canonicalization", "RFC8785 ", "unsupported canonicalization"),
    ]:
        tampered = copy.deepcopy(_signed())
        tampered["extensions"][EXTENSION_ID][member] = value
        with pytest.raises(SignatureError, match=reason) as caught:
            verify_object(tampered, KEY.public_key)
        assert caught.value.field == f"extensions.{EXTENSION_ID}.{member}"
        assert caught.value.object_id == tampered["id"]


def test_an_unsigned_object_has_no_signature_info_and_does_not_verify() -> None:
    assert signature_info(_indicator()) is None
    plain = _indicator()
    del plain["extensions"]
    assert signature_info(plain) is None
    with pytest.raises(SignatureError, match="carries no Entente signature"):
        verify_object(plain, KEY.public_key)


def _with_extension(value: Any) -> dict[str, Any]:
    obj = _signed()
    obj["extensions"][EXTENSION_ID] = value
    return obj


_DROP = object()
_GOOD_SIGNATURE = encode_base64url(bytes(64))


def _with_member(name: str, value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(_signed())
    if value is _DROP:
        del obj["extensions"][EXTENSION_ID][name]
    else:
        obj["extensions"][EXTENSION_ID][name] = value
    return obj


@pytest.mark.parametrize(
    ("obj", "field", "reason"),
    [
        (_with_extension("signed"), "", "must be a JSON object"),
        (_with_member("extension_type", "toplevel-property-extension"), "extension_type", "§7.3"),
        (_with_member("extension_type", _DROP), "extension_type", "property-extension"),
        (_with_member("signer", "someone"), "signer", "identity id"),
        (_with_member("signer", AMBER), "signer", "identity id"),
        (_with_member("signer", _DROP), "signer", "identity id"),
        (_with_member("algorithm", _DROP), "algorithm", "is required"),
        (_with_member("algorithm", 25519), "algorithm", "is required"),
        (_with_member("signature", _DROP), "signature", "is required"),
        (_with_member("signature", _GOOD_SIGNATURE + "="), "signature", "64-byte"),
        (_with_member("signature", _GOOD_SIGNATURE[:-2]), "signature", "64-byte"),
        (_with_member("signature", "not base64!"), "signature", "64-byte"),
        (_with_member("x_extra", 1), "", "unknown member 'x_extra'"),
        (_with_member("derived_from", "indicator--1"), "derived_from", "must be an object"),
        (
            _with_member("derived_from", {"id": "x", "version": "2024", "sha256": "0" * 64}),
            "derived_from.id",
            "STIX id",
        ),
        (
            _with_member(
                "derived_from",
                {"id": SIGNER, "version": "yesterday", "sha256": "0" * 64},
            ),
            "derived_from.version",
            "not a valid timestamp",
        ),
        (
            _with_member(
                "derived_from",
                {"id": SIGNER, "version": "2024-03-02T12:00:00.000Z", "sha256": "AB" * 32},
            ),
            "derived_from.sha256",
            "lower-case hex",
        ),
        (
            _with_member(
                "derived_from",
                {"id": SIGNER, "version": "2024-03-02T12:00:00Z", "sha256": "0" * 64, "x": 1},
            ),
            "derived_from",
            "unknown member 'x'",
        ),
    ],
)
def test_malformed_extension_is_a_located_signature_error(
    obj: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason) as caught:
        signature_info(obj)
    where = f"extensions.{EXTENSION_ID}"
    assert caught.value.field == (f"{where}.{field}" if field else where)
    assert caught.value.object_id == obj["id"]
    with pytest.raises(SignatureError):
        verify_object(obj, KEY.public_key)


def test_signature_error_is_an_invalid_object() -> None:
    assert issubclass(SignatureError, InvalidObject)


def test_the_signer_must_be_an_identity_id() -> None:
    with pytest.raises(InvalidInput, match="identity id"):
        sign_object(_indicator(), signer=AMBER, key=KEY)


def test_an_object_without_a_canonical_form_cannot_be_signed() -> None:
    broken = _indicator()
    broken["x_score"] = float("nan")  # RFC 8785 §3.2.2.3: no form for NaN
    with pytest.raises(SignatureError, match="RFC 8785"):
        sign_object(broken, signer=SIGNER, key=KEY)


# -- redacted copies ------------------------------------------------------------------------


def test_derived_from_names_the_original_version_and_hashes_it() -> None:
    original = _indicator()
    record = derived_from_of(original)
    assert record == {
        "id": original["id"],
        "version": "2024-03-02T12:00:00.000Z",
        "sha256": hashlib.sha256(canonical_json(original)).hexdigest(),
    }


def test_derived_from_is_the_same_for_a_signed_or_unsigned_original() -> None:
    # The hash is over what the signer signed, so holding the signed copy changes nothing
    # except that our extension (without its signature) is part of the content.
    signed = _signed()
    unsigned_extension = copy.deepcopy(signed)
    del unsigned_extension["extensions"][EXTENSION_ID]["signature"]
    assert (
        derived_from_of(signed)["sha256"]
        == hashlib.sha256(canonical_json(unsigned_extension)).hexdigest()
    )
    assert derived_from_of(signed) == derived_from_of(sign_object(signed, signer=SIGNER, key=KEY))


def test_an_unversioned_original_uses_created() -> None:
    marking = dict(BUILTIN_MARKINGS[0])
    assert derived_from_of(marking)["version"] == marking["created"]


def test_derived_from_needs_an_id_and_a_version() -> None:
    no_id = _indicator()
    del no_id["id"]
    with pytest.raises(InvalidObject, match="STIX id"):
        derived_from_of(no_id)
    sco = {"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}
    with pytest.raises(InvalidObject, match="modified or created"):
        derived_from_of(sco)


def test_a_redacted_copy_carries_a_signed_derived_from() -> None:
    original = _indicator()
    redacted = {k: v for k, v in original.items() if k != "external_references"}
    redactor = generate_key()
    copy_signed = sign_object(
        redacted, signer=OTHER_ORG, key=redactor, derived_from=derived_from_of(original)
    )
    info = verify_object(copy_signed, redactor.public_key)
    assert info.derived_from == DerivedFrom(
        original["id"], original["modified"], derived_from_of(original)["sha256"]
    )
    parse_object(copy_signed)


def test_a_malformed_derived_from_is_refused_at_signing() -> None:
    with pytest.raises(SignatureError, match="sha256"):
        sign_object(
            _indicator(),
            signer=SIGNER,
            key=KEY,
            derived_from={"id": SIGNER, "version": "2024-03-02T12:00:00Z", "sha256": "x"},
        )


# -- properties -----------------------------------------------------------------------------

_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
_json = st.recursive(
    _json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
_property_names = st.from_regex(r"x_[a-z0-9_]{1,12}", fullmatch=True)


@st.composite
def stix_like_objects(draw: st.DrawFn) -> dict[str, Any]:
    """A valid STIX 2.1 SDO with random custom properties (any JSON, unicode, floats)."""
    obj: dict[str, Any] = {
        "type": draw(st.sampled_from(["indicator", "x-acme-widget", "note", "malware"])),
        "spec_version": "2.1",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-02T00:00:00.000Z",
    }
    obj["id"] = f"{obj['type']}--{draw(st.uuids(version=4))}"
    obj.update(draw(st.dictionaries(_property_names, _json, max_size=6)))
    if draw(st.booleans()):
        obj["object_marking_refs"] = [draw(st.sampled_from([AMBER, GREEN]))]
    return obj


def _alter(obj: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """A copy of ``obj`` with one signed value changed."""
    tampered = copy.deepcopy(obj)
    candidates = [k for k in tampered if k != "extensions"]
    name = data.draw(st.sampled_from([*candidates, "signer"]))
    if name == "signer":
        tampered["extensions"][EXTENSION_ID]["signer"] = OTHER_ORG
    else:
        value = data.draw(_json.filter(lambda v: canonical_json(v) != canonical_json(obj[name])))
        tampered[name] = value
    return tampered


@settings(max_examples=60, deadline=None)
@given(stix_like_objects(), st.data())
def test_random_objects_sign_verify_and_detect_any_change(
    obj: dict[str, Any], data: st.DataObject
) -> None:
    key: NodeKey = KEY
    signed = sign_object(obj, signer=SIGNER, key=key)
    assert verify_object(signed, key.public_key).signer == SIGNER
    shuffled = dict(data.draw(st.permutations(list(signed.items()))))
    verify_object(shuffled, key.public_key)
    verify_object(orjson.loads(orjson.dumps(signed)), key.public_key)
    with pytest.raises(SignatureError):
        verify_object(_alter(signed, data), key.public_key)
