"""The trust root: what trust.json may say."""

from __future__ import annotations

import pytest

from entente.errors import InvalidInput
from entente.evidence import TrustedKey, TrustRoot
from entente.federation.keys import generate_key


def test_trust_json_round_trips() -> None:
    keys = tuple(TrustedKey(f"k{n}", generate_key().public_key) for n in range(3))
    root = TrustRoot(keys, 2, keys[0].keyid)
    assert TrustRoot.from_json(root.to_json()) == root


def test_impossible_thresholds_and_strangers_are_refused() -> None:
    keys = (TrustedKey("a", generate_key().public_key),)
    with pytest.raises(InvalidInput, match="threshold"):
        TrustRoot(keys, 2, keys[0].keyid)
    with pytest.raises(InvalidInput, match="node's key"):
        TrustRoot(keys, 1, "0" * 64)
    document = TrustRoot(keys, 1, keys[0].keyid).to_json()
    document["keys"][0]["keyid"] = "f" * 64
    with pytest.raises(InvalidInput, match="keyid"):
        TrustRoot.from_json(document)
    with pytest.raises(InvalidInput):
        TrustRoot.from_json({"threshold": "1", "node_keyid": "x", "keys": []})
