"""``Visibility``: third-party content, the copy each reader is shown, withheld objects."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from entente.services import node_org_id
from entente.services.visibility import Visibility, is_third_party
from entente.sharing import NodeContext, Principal, Role
from entente.stix import Tlp, granular_markings_of, marking_id_for, parse_object
from entente.store import Provenance, SourceKind, StoredVersion

NODE = node_org_id("Entente node")
ORG_B = node_org_id("Org B")
CTX = NodeContext(node_org=NODE, community_orgs=frozenset({NODE, ORG_B}))
READER_B = Principal(id="tok_b", org=ORG_B, role=Role.READER, is_individual=False)
ANALYST = Principal(id="tok_a", org=NODE, role=Role.ANALYST, is_individual=False)


def stored(
    obj: dict[str, Any], kind: SourceKind = SourceKind.USER, org: str | None = NODE
) -> StoredVersion:
    """``obj`` as the store would hand it back, stored by a principal of ``org``."""
    parsed = parse_object(obj)
    return StoredVersion(
        id=parsed.id,
        type=parsed.type,
        spec_version="2.1",
        version=parsed.version_key,
        created=None,
        modified=None,
        created_by_ref=parsed.created_by_ref,
        revoked=False,
        marking_refs=parsed.object_marking_refs,
        raw_json=orjson.dumps(obj),
        date_added_us=1,
        provenance=Provenance(
            kind, "test", "someone", None if kind is not SourceKind.PARTNER else "a", org=org
        ),
        granular_markings=granular_markings_of(obj),
    )


def indicator(**extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '192.0.2.1']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "object_marking_refs": [marking_id_for(Tlp.GREEN)],
        **extra,
    }


@pytest.mark.parametrize(
    ("creator", "kind", "org", "third_party"),
    [
        (NODE, SourceKind.USER, NODE, False),
        (NODE, SourceKind.FILE, None, False),
        # Posted by an outsider in the node's name (before the ownership rules refused it).
        (NODE, SourceKind.USER, ORG_B, True),
        (ORG_B, SourceKind.USER, NODE, True),
        (ORG_B, SourceKind.FEED, None, True),
        # Without a creator: authored here by the node's org, or someone else's.
        (None, SourceKind.USER, NODE, False),
        (None, SourceKind.MATCHING, None, False),
        (None, SourceKind.USER, ORG_B, True),
        (None, SourceKind.FILE, None, True),
        # What a partner sent falls under its agreement's onward rules instead.
        (ORG_B, SourceKind.PARTNER, ORG_B, False),
    ],
)
def test_third_party_content_is_what_this_node_only_ingested(
    creator: str | None, kind: SourceKind, org: str | None, third_party: bool
) -> None:
    extra = {} if creator is None else {"created_by_ref": creator}
    assert is_third_party(stored(indicator(**extra), kind, org), NODE) is third_party


def test_granular_content_is_left_out_of_what_a_reader_may_not_see() -> None:
    obj = indicator(
        created_by_ref=NODE,
        description="node-only detail",
        granular_markings=[
            {"marking_ref": marking_id_for(Tlp.AMBER_STRICT), "selectors": ["description"]}
        ],
    )
    version = stored(obj)
    shown = Visibility(READER_B, CTX).release(version)
    assert shown is not None and shown.original == obj
    assert b"node-only detail" not in shown.version.raw_json
    assert "granular_markings" not in shown.version.to_json()
    # The node's own org reads all of it, the stored bytes themselves.
    full = Visibility(ANALYST, CTX).release(version)
    assert full is not None and full.version is version and full.original is None


def test_an_object_that_cannot_lose_what_is_hidden_is_withheld() -> None:
    obj = indicator(
        created_by_ref=NODE,
        granular_markings=[{"marking_ref": marking_id_for(Tlp.RED), "selectors": ["pattern"]}],
    )
    # An indicator without its pattern is not STIX 2.1 (§4.7): nobody without RED gets it.
    assert Visibility(READER_B, CTX).release(stored(obj)) is None
    assert Visibility(ANALYST, CTX).release(stored(obj)) is None
