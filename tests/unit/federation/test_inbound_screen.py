"""The inbound screen: signatures, who may speak for whom, duplicates, tamper and widening."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import InvalidObject, SignatureError, VersioningError
from entente.federation import (
    EXTENSION_ID,
    NodeKey,
    derived_from_of,
    generate_key,
    sign_batch,
    sign_object,
)
from entente.federation.inbound import Accepted, InboundContext, screen
from entente.stix import StixObject, Tlp, deterministic_id, marking_id_for, parse_object

NODE = deterministic_id("identity", "test", "this node")
SENDER = deterministic_id("identity", "test", "the sending partner")
OTHER = deterministic_id("identity", "test", "another coalition member")
THIRD_PARTY = deterministic_id("identity", "test", "a third-party feed")
KEYS: dict[str, NodeKey] = {org: generate_key() for org in (NODE, SENDER, OTHER)}
CTX = InboundContext(
    node_org=NODE,
    sender_org=SENDER,
    keys={org: key.public_key for org, key in KEYS.items()},
)
ID = deterministic_id("indicator", "test", "screened")
CREATED = "2026-01-01T00:00:00.000Z"
LATER = "2026-01-02T00:00:00.000Z"


def _indicator(
    creator: str | None = OTHER,
    *,
    modified: str = CREATED,
    tlp: Tlp = Tlp.GREEN,
    **extra: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": ID,
        "created": CREATED,
        "modified": modified,
        "name": "C2 address",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": CREATED,
        "object_marking_refs": [marking_id_for(tlp)],
        **extra,
    }
    if creator is not None:
        obj["created_by_ref"] = creator
    return obj


def _signed(
    obj: dict[str, Any], signer: str, derived_from: dict[str, Any] | None = None
) -> dict[str, Any]:
    return sign_object(obj, signer=signer, key=KEYS[signer], derived_from=derived_from)


def _redacted_by(signer: str, original: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``original`` without its name, signed by ``signer`` as derived from it."""
    copy_ = {k: v for k, v in original.items() if k not in {"name", "extensions"}}
    return sign_object(
        copy_, signer=signer, key=KEYS[signer], derived_from=derived_from_of(original)
    )


def _held(*objects: dict[str, Any]) -> list[StixObject]:
    return [parse_object(obj) for obj in objects]


def _screen(obj: dict[str, Any], *held: dict[str, Any]) -> StixObject | None:
    accepted = _accept(obj, *held)
    return None if accepted is None else accepted.obj


def _accept(obj: dict[str, Any], *held: dict[str, Any]) -> Accepted | None:
    return screen(parse_object(obj), _held(*held), CTX)


# -- signatures and who may speak for whom ---------------------------------------------------


def test_an_object_signed_by_its_known_creator_is_accepted() -> None:
    signed = _signed(_indicator(OTHER), OTHER)
    accepted = _screen(signed)
    assert accepted is not None and accepted.raw == signed


def test_a_signed_object_altered_after_signing_is_rejected_as_not_verifying() -> None:
    tampered = _signed(_indicator(OTHER), OTHER)
    tampered["name"] = "something else"
    with pytest.raises(SignatureError, match="does not verify"):
        _screen(tampered)


def test_a_known_creator_without_a_signature_may_not_be_spoken_for_by_the_sender() -> None:
    with pytest.raises(SignatureError, match="may not speak for") as raised:
        _screen(_indicator(OTHER))
    assert raised.value.field == "created_by_ref"
    assert SENDER in str(raised.value)


def test_an_object_claiming_this_node_as_creator_without_its_signature_is_rejected() -> None:
    with pytest.raises(SignatureError, match="this node"):
        _screen(_indicator(NODE))


def test_an_object_signed_by_a_known_org_that_did_not_create_it_is_rejected() -> None:
    # The sender signs OTHER's object as if it were an original of its own.
    with pytest.raises(SignatureError, match="only the creator signs an original"):
        _screen(_signed(_indicator(OTHER), SENDER))


def test_a_redacted_copy_signed_by_a_known_org_naming_its_original_is_accepted() -> None:
    original = _signed(_indicator(OTHER), OTHER)
    copy_ = _redacted_by(SENDER, original)
    accepted = _screen(copy_)
    assert accepted is not None and "name" not in accepted.raw


def test_an_unsigned_object_of_an_unknown_creator_is_accepted() -> None:
    obj = _indicator(THIRD_PARTY)
    accepted = _screen(obj)
    assert accepted is not None and accepted.raw == obj


def test_an_object_signed_by_an_unknown_signer_for_a_known_creator_is_rejected() -> None:
    stranger = deterministic_id("identity", "test", "a stranger")
    signed = sign_object(_indicator(OTHER), signer=stranger, key=generate_key())
    with pytest.raises(SignatureError, match="may not speak for"):
        _screen(signed)


# -- versions already held -------------------------------------------------------------------


def test_the_same_version_received_again_is_a_duplicate() -> None:
    obj = _indicator(THIRD_PARTY)
    assert _screen(copy.deepcopy(obj), obj) is None


def test_the_same_version_differing_only_by_our_signature_is_a_duplicate() -> None:
    unsigned = _indicator(OTHER)
    assert _screen(_signed(unsigned, OTHER), unsigned) is None


def test_a_creator_redacted_copy_of_a_version_held_in_full_is_a_duplicate() -> None:
    original = _signed(_indicator(OTHER), OTHER)
    assert _screen(_redacted_by(OTHER, original), original) is None


def test_a_partner_redacted_copy_of_a_version_held_in_full_is_a_duplicate() -> None:
    # The sender redacted OTHER's object under its own agreement with us; we already hold the
    # full version (e.g. from OTHER directly): nothing new, and nothing was tampered with.
    original = _signed(_indicator(OTHER), OTHER)
    assert _screen(_redacted_by(SENDER, original), original) is None


def test_the_same_version_with_different_content_is_a_tamper() -> None:
    held = _indicator(THIRD_PARTY)
    altered = _indicator(THIRD_PARTY, description="added on the way")
    with pytest.raises(VersioningError, match="altered on the way") as raised:
        _screen(altered, held)
    assert raised.value.field == "modified"


def test_other_content_for_a_held_version_signed_by_its_creator_is_a_correction() -> None:
    # Publishers correct in place (Mobile ATT&CK 17.1 added x_mitre_deprecated under the
    # same modified): the creator's own signature makes it a correction, not a tamper.
    held = _indicator(OTHER)
    corrected = _signed(_indicator(OTHER, description="corrected by its creator"), OTHER)
    accepted = _accept(corrected, held)
    assert accepted is not None
    assert accepted.creator_signed is True
    assert accepted.obj.raw == corrected
    assert accepted.equivocation is None  # the held copy was not signed: nothing to compare


def test_two_signed_contents_for_one_version_from_the_same_signer_are_an_equivocation() -> None:
    first = _signed(_indicator(OTHER), OTHER)
    second = _signed(_indicator(OTHER, description="told differently"), OTHER)
    accepted = _accept(second, first)
    assert accepted is not None and accepted.creator_signed is True
    assert accepted.equivocation is not None
    assert "equivocation" in accepted.equivocation and OTHER in accepted.equivocation
    assert SENDER in accepted.equivocation


def test_two_contents_signed_by_a_signer_unknown_here_are_refused_as_an_equivocation() -> None:
    # A third-party publisher's signature this node cannot verify: not a correction it can
    # trust, but the two signed contents are still named as an equivocation.
    unknown_key = generate_key()
    held = sign_object(_indicator(THIRD_PARTY), signer=THIRD_PARTY, key=unknown_key)
    other = sign_object(
        _indicator(THIRD_PARTY, description="another story"), signer=THIRD_PARTY, key=unknown_key
    )
    with pytest.raises(VersioningError, match="equivocation") as raised:
        _accept(other, held)
    assert "not signed by its creator" in raised.value.reason


def test_a_creator_correction_never_carries_another_creator() -> None:
    held = _indicator(THIRD_PARTY)
    forged = _signed(_indicator(OTHER, description="not the creator's"), OTHER)
    accepted = _accept(forged, held)
    # The screen lets the creator-signed copy through; the versioning rules refuse it, as
    # created_by_ref is never corrected (see tests/unit/stix/test_versioning.py).
    assert accepted is not None and accepted.obj.created_by_ref == OTHER


# -- markings of new versions ----------------------------------------------------------------


def test_a_new_version_widening_markings_without_the_creator_signature_is_rejected() -> None:
    held = _indicator(THIRD_PARTY, tlp=Tlp.AMBER)
    widened = _indicator(THIRD_PARTY, modified=LATER, tlp=Tlp.GREEN)
    with pytest.raises(VersioningError, match="widened") as raised:
        _screen(widened, held)
    assert raised.value.field == "object_marking_refs"
    assert "TLP:AMBER" in str(raised.value) and "TLP:GREEN" in str(raised.value)


def test_a_new_version_widening_markings_signed_by_its_creator_is_accepted() -> None:
    held = _signed(_indicator(OTHER, tlp=Tlp.AMBER), OTHER)
    widened = _signed(_indicator(OTHER, modified=LATER, tlp=Tlp.CLEAR), OTHER)
    accepted = _screen(widened, held)
    assert accepted is not None and accepted.raw == widened


def test_a_new_version_narrowing_markings_needs_no_creator_signature() -> None:
    held = _indicator(THIRD_PARTY, tlp=Tlp.GREEN)
    narrowed = _indicator(THIRD_PARTY, modified=LATER, tlp=Tlp.AMBER)
    assert _screen(narrowed, held) is not None


def test_an_unmarked_new_version_reads_as_the_default_marking_and_is_not_a_widening() -> None:
    held = _indicator(THIRD_PARTY, tlp=Tlp.AMBER)
    unmarked = _indicator(THIRD_PARTY, modified=LATER)
    del unmarked["object_marking_refs"]
    # The default (AMBER+STRICT) is narrower than AMBER.
    assert _screen(unmarked, held) is not None


# -- property: a signature covers every property ---------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
_JSON_VALUE = st.one_of(
    _TEXT, st.integers(-(2**53) + 1, 2**53 - 1), st.booleans(), st.lists(_TEXT, max_size=3)
)


@st.composite
def _signed_objects(draw: st.DrawFn) -> dict[str, Any]:
    """An indicator created and signed by one of the known orgs, with random contents."""
    creator = draw(st.sampled_from(sorted(KEYS)))
    obj = _indicator(
        creator,
        tlp=draw(st.sampled_from([Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT])),
        name=draw(_TEXT),
        confidence=draw(st.integers(0, 100)),
        labels=draw(st.lists(_TEXT.filter(bool), min_size=1, max_size=3)),
        x_note=draw(_JSON_VALUE),
    )
    if draw(st.booleans()):
        obj["description"] = draw(_TEXT)
    return _signed(obj, creator)


_MUTABLE = ("name", "confidence", "labels", "x_note", "description", "pattern", "valid_from")
_SIGNATURE_MEMBERS = ("signer", "algorithm", "canonicalization", "signature")


@st.composite
def _mutations(draw: st.DrawFn, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with exactly one property changed, added or removed, still valid STIX 2.1."""
    mutated = copy.deepcopy(obj)
    kind = draw(
        st.sampled_from(
            ["change", "add", "remove", "markings", "modified", "creator", "signature", "strip"]
        )
    )
    if kind == "change":
        name = draw(st.sampled_from([n for n in _MUTABLE if n in obj]))
        replacements = {
            "name": _TEXT,
            "confidence": st.integers(0, 100),
            "labels": st.lists(_TEXT.filter(bool), min_size=1, max_size=3),
            "x_note": _JSON_VALUE,
            "description": _TEXT,
            "pattern": st.just("[ipv4-addr:value = '203.0.113.9']"),
            "valid_from": st.just(LATER),
        }
        mutated[name] = draw(replacements[name].filter(lambda v: v != obj[name]))
    elif kind == "add":
        mutated["x_added"] = draw(_JSON_VALUE)
    elif kind == "remove":
        del mutated[draw(st.sampled_from(["name", "confidence", "labels", "x_note"]))]
    elif kind == "markings":
        current = obj["object_marking_refs"]
        others = [marking_id_for(t) for t in Tlp if [marking_id_for(t)] != current]
        mutated["object_marking_refs"] = [draw(st.sampled_from(others))]
    elif kind == "modified":
        mutated["modified"] = LATER
    elif kind == "creator":
        mutated["created_by_ref"] = draw(
            st.sampled_from([o for o in (*KEYS, THIRD_PARTY) if o != obj["created_by_ref"]])
        )
    elif kind == "signature":
        member = draw(st.sampled_from(_SIGNATURE_MEMBERS))
        ours = mutated["extensions"][EXTENSION_ID]
        if member == "signer":
            ours["signer"] = draw(st.sampled_from([o for o in KEYS if o != ours["signer"]]))
        elif member == "signature":
            # Another valid-looking signature: that of a different object.
            ours["signature"] = _signed(_indicator(ours["signer"]), ours["signer"])["extensions"][
                EXTENSION_ID
            ]["signature"]
        else:
            ours[member] = ours[member] + "x"
    else:  # strip: the object relayed without the signature of its known creator
        del mutated["extensions"]
    return mutated


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_single_change_to_a_signed_object_of_a_known_org_is_rejected(
    data: st.DataObject,
) -> None:
    original = data.draw(_signed_objects())
    assert _screen(original) is not None  # the untouched object passes
    mutated = data.draw(_mutations(original))
    assert mutated != original
    with pytest.raises(InvalidObject) as raised:
        _screen(mutated)
    assert isinstance(raised.value, SignatureError)


# -- signed batches (ADR 0025) -------------------------------------------------------------------


def _batch_of(count: int, signer: str = OTHER) -> list[dict[str, Any]]:
    objects = [
        _indicator(signer, name=f"batch {n}", id=deterministic_id("indicator", "test", "b", str(n)))
        for n in range(count)
    ]
    return sign_batch(objects, signer=signer, key=KEYS[signer], batch_id="batch-1")


def test_a_batch_from_its_creator_is_accepted_as_creator_signed_with_one_root_check() -> None:
    ctx = InboundContext(
        node_org=NODE, sender_org=SENDER, keys={org: k.public_key for org, k in KEYS.items()}
    )
    accepted = [screen(parse_object(obj), [], ctx) for obj in _batch_of(9)]
    assert all(isinstance(a, Accepted) and a.creator_signed for a in accepted)
    assert len(ctx.roots) == 1


def test_a_relayed_batch_keeps_the_creators_proof_and_verifies_against_its_key() -> None:
    # Sent by SENDER, created and batch-signed by OTHER: OTHER's key decides.
    relayed = _batch_of(3)[1]
    accepted = screen(parse_object(relayed), [], CTX)
    assert accepted is not None and accepted.creator_signed


def test_one_tampered_object_of_a_batch_is_rejected_and_the_others_accepted() -> None:
    ctx = InboundContext(
        node_org=NODE, sender_org=SENDER, keys={org: k.public_key for org, k in KEYS.items()}
    )
    batch = _batch_of(5)
    tampered = copy.deepcopy(batch[2])
    tampered["name"] = "altered"
    for at, obj in enumerate(batch):
        if at == 2:
            with pytest.raises(SignatureError) as caught:
                screen(parse_object(tampered), [], ctx)
            assert caught.value.field == f"extensions.{EXTENSION_ID}.batch.root_signature"
            assert caught.value.object_id == tampered["id"]
        assert screen(parse_object(obj), [], ctx) is not None


def test_a_batch_by_another_known_org_than_the_creator_is_refused() -> None:
    forged = _batch_of(2, signer=SENDER)[0]
    forged_creator = {**forged, "created_by_ref": OTHER}
    with pytest.raises(SignatureError):
        screen(parse_object(forged_creator), [], CTX)
