"""The node signer: own objects signed once in signed batches and kept; copies signed per read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.bootstrap import Node, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.federation import (
    EXTENSION_ID,
    PublicKey,
    VerifiedRoots,
    sign_object,
    verify_object,
)
from entente.ingest import Candidate
from entente.services import IngestService, TaxiiService, org_identity_id
from entente.services.node_signer import NodeSigner, attach_extension, with_extension
from entente.sharing import Principal, Role
from entente.stix import Tlp, deterministic_id, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind, StoredVersion

NODE, PARTNER = "Signing CERT", "Partner CERT"
CREATED = "2026-11-01T00:00:00.000Z"


def _indicator(label: str, creator: str = NODE) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": deterministic_id("indicator", "test", "signer", label),
        "created": CREATED,
        "modified": CREATED,
        "created_by_ref": org_identity_id(creator),
        "name": label,
        "pattern": f"[domain-name:value = '{label}.example.org']",
        "pattern_type": "stix",
        "valid_from": CREATED,
        "object_marking_refs": [marking_id_for(Tlp.GREEN)],
    }


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name=NODE
    )
    with open_node(settings, FixedClock()) as opened:
        yield opened


def _ingest(node: Node, objects: list[dict[str, Any]], provenance: Provenance) -> None:
    candidates = [Candidate("intel.json", str(i), obj) for i, obj in enumerate(objects)]
    summary = IngestService(node.store, node.clock, "local:test").ingest_candidates(
        candidates, provenance, source="intel.json"
    )
    assert summary.rejected == []


def _local(node: Node, objects: list[dict[str, Any]]) -> None:
    _ingest(node, objects, Provenance(SourceKind.FILE, "intel.json", "local:test"))


def _versions(node: Node) -> list[StoredVersion]:
    return list(node.store.iter_all(ObjectQuery(types=("indicator",), limit=1000)))


def _signer(node: Node, *, batches: bool = True, batch_size: int = 100) -> NodeSigner:
    return NodeSigner(
        org_identity_id(NODE),
        node.key,
        signatures=node.signatures if batches else None,
        batch_size=batch_size,
    )


def _public(node: Node) -> PublicKey:
    key: PublicKey = node.key.public_key
    return key


def _ours(version: StoredVersion) -> dict[str, Any]:
    extension: dict[str, Any] = version.to_json()["extensions"][EXTENSION_ID]
    return extension


def test_own_versions_are_signed_once_as_one_batch_and_kept(node: Node) -> None:
    _local(node, [_indicator(f"i{n}") for n in range(5)])
    signer = _signer(node)
    assert signer.seal_added_after(node.store, None) == 5
    assert signer.seal_added_after(node.store, None) == 0  # already signed: nothing again
    served = signer.sign_own(_versions(node))
    assert len({_ours(v)["batch"]["id"] for v in served}) == 1
    roots = VerifiedRoots()
    for version in served:
        verify_object(version.to_json(), _public(node), roots)
    assert len(roots) == 1
    again = signer.sign_own(_versions(node))
    assert [v.raw_json for v in again] == [v.raw_json for v in served]


def test_a_version_first_read_unsigned_is_signed_then_and_kept(node: Node) -> None:
    _local(node, [_indicator("late")])
    signer = _signer(node)
    [version] = _versions(node)
    assert node.signatures.get([(version.id, version.version)]) == {}
    [served] = signer.sign_own([version])
    kept = node.signatures.get([(version.id, version.version)])
    assert orjson.loads(kept[(version.id, version.version)].extension) == _ours(served)


def test_batches_are_at_most_batch_size_leaves(node: Node) -> None:
    _local(node, [_indicator(f"b{n}") for n in range(7)])
    signer = _signer(node, batch_size=3)
    assert signer.seal_added_after(node.store, None) == 7
    served = signer.sign_own(_versions(node))
    assert sorted(_ours(v)["batch"]["tree_size"] for v in served) == [1, 3, 3, 3, 3, 3, 3]


def test_only_this_orgs_own_unsigned_versions_are_sealed(node: Node) -> None:
    already = sign_object(_indicator("signed"), signer=org_identity_id(NODE), key=node.key)
    _local(node, [_indicator("own"), _indicator("foreign", PARTNER), already])
    _ingest(
        node,
        [_indicator("relayed", PARTNER)],
        Provenance(
            SourceKind.PARTNER, "p", org_identity_id(PARTNER), "a", org=org_identity_id(PARTNER)
        ),
    )
    signer = _signer(node)
    assert signer.seal_added_after(node.store, None) == 1
    own = [v for v in _versions(node) if v.to_json()["name"] == "own"]
    assert signer.seal(own) == 0


def test_a_kept_signature_for_other_content_is_not_served(node: Node) -> None:
    _local(node, [_indicator("changed")])
    signer = _signer(node)
    signer.seal_added_after(node.store, None)
    [version] = _versions(node)
    obj = version.to_json()
    obj["name"] = "corrected in place"
    corrected = replace(version, raw_json=orjson.dumps(obj))  # as a correction in place
    [served] = signer.sign_own([corrected])
    assert served.to_json()["name"] == "corrected in place"
    verify_object(served.to_json(), _public(node))


def test_without_batches_every_read_signs_each_object(node: Node) -> None:
    _local(node, [_indicator("plain")])
    signer = _signer(node, batches=False)
    assert not signer.batches
    assert signer.seal_added_after(node.store, None) == 0
    [served] = signer.sign_own(_versions(node))
    assert "signature" in _ours(served) and "batch" not in _ours(served)
    verify_object(served.to_json(), _public(node))


@pytest.mark.parametrize("batches", [True, False])
def test_redacted_copies_are_signed_naming_their_originals(node: Node, batches: bool) -> None:
    originals = [_indicator("r1"), _indicator("r2")]
    copies = [{k: v for k, v in o.items() if k != "name"} for o in originals]
    signed = _signer(node, batches=batches).sign_copies(copies, originals)
    for obj, original in zip(signed, originals, strict=True):
        info = verify_object(obj, _public(node))
        assert info.derived_from is not None and info.derived_from.id == original["id"]
        assert (info.batch is not None) is batches


def test_with_extension_keeps_other_extensions() -> None:
    other = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
    raw = orjson.dumps({"id": "x", "extensions": {other: {"rank": 1}}})
    joined = orjson.loads(with_extension(raw, {"signer": "s"}))
    assert joined["extensions"] == {other: {"rank": 1}, EXTENSION_ID: {"signer": "s"}}


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_OTHER_EXTENSION = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"


@st.composite
def _stored_objects(draw: st.DrawFn) -> bytes:
    """A JSON object as bytes, as orjson stores it or as others write it: spaced, indented,
    ASCII-escaped; with or without extensions (one named in a description, one a key)."""
    obj: dict[str, Any] = draw(st.dictionaries(st.text(max_size=10), _JSON_VALUES, max_size=5))
    obj["id"] = "indicator--" + draw(st.uuids()).hex
    choice = draw(st.sampled_from(("none", "other", "ours", "named", "empty")))
    if choice == "other":
        obj["extensions"] = {_OTHER_EXTENSION: {"rank": draw(st.integers(0, 9))}}
    elif choice == "ours":
        obj["extensions"] = {EXTENSION_ID: {"signer": "old"}}
    elif choice == "named":
        obj["description"] = 'mentions "extensions" only in text'
    elif choice == "empty":
        obj["extensions"] = {}
    style = draw(st.sampled_from(("orjson", "spaced", "indented", "ascii")))
    if style == "orjson":
        return orjson.dumps(obj)
    if style == "spaced":
        return b" \n" + json.dumps(obj, ensure_ascii=False).encode() + b" \r\n"
    if style == "indented":
        return json.dumps(obj, indent=2, ensure_ascii=False).encode()
    return json.dumps(obj, ensure_ascii=True).encode()


@given(raw=_stored_objects(), rank=st.integers(0, 2**31))
def test_attaching_a_kept_extension_gives_what_its_reference_twin_gives(
    raw: bytes, rank: int
) -> None:
    extension = {"signer": "identity--x", "batch": {"leaf_index": rank, "audit_path": "A-_"}}
    text = orjson.dumps(extension).decode()
    assert orjson.loads(attach_extension(raw, text)) == orjson.loads(with_extension(raw, extension))


def test_a_key_spelt_with_an_escape_is_still_the_extensions_member() -> None:
    # RFC 8259 §7: "\u0065xtensions" is the key "extensions"; appending a second member of
    # that name would hide the object's own extensions from a reader that keeps the last.
    raw = b'{"id": "x", "\\u0065xtensions": {"%s": {"rank": 1}}}' % _OTHER_EXTENSION.encode()
    joined = orjson.loads(attach_extension(raw, '{"signer": "s"}'))
    assert joined["extensions"] == {_OTHER_EXTENSION: {"rank": 1}, EXTENSION_ID: {"signer": "s"}}


def test_objects_added_over_taxii_by_the_org_are_signed_at_once_as_one_batch(
    node: Node,
) -> None:
    service = TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=(),
        org_name=NODE,
        signer=_signer(node),
    )
    analyst = Principal("tok_a", org_identity_id(NODE), Role.ANALYST, is_individual=False)
    posted = [_indicator("posted-1"), _indicator("posted-2")]
    service.add(posted, analyst, collection=None, source="taxii:test", source_name="test")
    versions = _versions(node)
    kept = node.signatures.get([(v.id, v.version) for v in versions])
    assert len(kept) == 2
    assert len({orjson.loads(s.extension)["batch"]["id"] for s in kept.values()}) == 1


def test_an_own_version_stored_signed_is_served_as_stored(node: Node) -> None:
    already = sign_object(_indicator("restored"), signer=org_identity_id(NODE), key=node.key)
    _local(node, [already])
    [version] = _versions(node)
    [served] = _signer(node).sign_own([version])
    assert served.raw_json == version.raw_json
    assert node.signatures.get([(version.id, version.version)]) == {}
