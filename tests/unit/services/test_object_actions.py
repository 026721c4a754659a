"""The object page's writes: the new-version form's parsing, who may do what, and the versions,
sightings, notes and opinions stored through the REST write path."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.factories import GREEN, RED, stix

from entente.bootstrap import Node, open_node, taxii
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, PermissionDenied
from entente.scoring import FALSE_POSITIVE_PROPERTY
from entente.services.object_actions import ObjectActions, VersionChanges, parse_version_changes
from entente.services.tokens import create_token, org_identity_id
from entente.sharing import Principal, Role
from entente.stix import Tlp, marking_id_for

NODE_ORG = org_identity_id("Entente node")
ORG_B = org_identity_id("Org B")
ANALYST = Principal(id="alice", org=NODE_ORG, role=Role.ANALYST, is_individual=True)
READER = Principal(id="rita", org=NODE_ORG, role=Role.READER, is_individual=True)
OTHER = Principal(id="bob", org=ORG_B, role=Role.ANALYST, is_individual=True)
# 2023-11-14: before the objects' own dates, so a new version must step past ``modified``.
CLOCK_US = 1_700_000_000_000_000


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock(CLOCK_US)) as opened:
        # A token of Org B's makes it one of the community (TLP:GREEN reaches it).
        create_token(opened.tokens, opened.clock, org_name="Org B", role="reader")
        yield opened


def actions_of(node: Node) -> ObjectActions:
    numbers = itertools.count(1)
    return ObjectActions(
        store=node.store,
        writer=taxii(node),
        clock=node.clock,
        new_id=lambda: f"00000000-0000-4000-8000-{next(numbers):012d}",
    )


def indicator(marking: str | None = GREEN, **more: Any) -> dict[str, Any]:
    return stix(
        "indicator",
        1,
        marking,
        pattern="[ipv4-addr:value = '10.0.0.1']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
        **more,
    )


def store(node: Node, obj: dict[str, Any], poster: Principal = ANALYST) -> None:
    entries = taxii(node).add([obj], poster, collection=None, source="rest", source_name="rest")
    assert entries[0].outcome == "added", entries


def latest(node: Node, object_id: str) -> dict[str, Any]:
    return node.store.get_versions(object_id, ("last",))[-1].to_json()


def test_the_version_form_parses_each_field() -> None:
    form = {"confidence": " 90 ", "labels": "a, b,,a ", "valid_until": "2030-01-01T00:00:00Z",
            "tlp": "TLP:AMBER"}  # fmt: skip
    assert parse_version_changes(form, "indicator") == VersionChanges(
        90, ("a", "b"), "2030-01-01T00:00:00Z", Tlp.AMBER
    )
    assert parse_version_changes({"tlp": "clear"}, "malware") == VersionChanges(
        None, None, None, Tlp.CLEAR
    )


@pytest.mark.parametrize(
    ("form", "kind", "reason"),
    [
        ({"confidence": "-1", "tlp": "green"}, "indicator", "confidence"),
        ({"confidence": "1e2", "tlp": "green"}, "indicator", "confidence"),
        ({"labels": "x" * 101, "tlp": "green"}, "indicator", "labels"),
        ({"labels": ",".join(f"l{i}" for i in range(21)), "tlp": "green"}, "indicator", "labels"),
        ({"valid_until": "2030-01-01", "tlp": "green"}, "indicator", "valid_until"),
        ({"valid_until": "2030-01-01T00:00:00Z", "tlp": "green"}, "malware", "only indicators"),
        ({"tlp": "red"}, "indicator", "tlp: one of"),
        ({"tlp": "purple"}, "indicator", "tlp: one of"),
        ({}, "indicator", "tlp: one of"),
    ],
)
def test_bad_version_fields_are_refused_by_name(
    form: dict[str, str], kind: str, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_version_changes(form, kind)


def test_rights_follow_roles_orgs_and_what_the_user_sees(node: Node) -> None:
    obj = indicator()
    store(node, obj)
    actions = actions_of(node)
    own = actions.rights(ANALYST, obj["id"])
    assert own.may_version and own.may_annotate
    reader = actions.rights(READER, obj["id"])
    assert not reader.may_version and not reader.may_annotate
    other = actions.rights(OTHER, obj["id"])
    assert other.may_annotate and other.version_refusal is not None
    assert "only that org adds versions" in other.version_refusal
    partly = indicator(
        description="for named people only",
        granular_markings=[{"marking_ref": RED, "selectors": ["description"]}],
    )
    partly["id"] = partly["id"].replace("0001", "0002")
    store(node, partly)
    refusal = actions.rights(ANALYST, partly["id"]).version_refusal
    assert refusal is not None and "whole" in refusal
    with pytest.raises(PermissionDenied, match="whole"):
        actions.revoke(ANALYST, partly["id"])


def test_a_new_version_steps_past_the_current_one_and_replaces_the_tlp(node: Node) -> None:
    obj = indicator(confidence=10, labels=["x"])
    store(node, obj)
    actions = actions_of(node)
    actions.new_version(ANALYST, obj["id"], VersionChanges(50, ("y",), None, Tlp.AMBER))
    new = latest(node, obj["id"])
    assert (new["confidence"], new["labels"]) == (50, ["y"])
    assert new["object_marking_refs"] == [marking_id_for(Tlp.AMBER)]
    # The clock is behind the object's modified: one microsecond past it (STIX 2.1 §3.6).
    assert new["modified"] == "2024-01-01T00:00:00.000001Z"
    assert isinstance(node.clock, FixedClock)
    node.clock.advance(10**15)
    actions.revoke(ANALYST, obj["id"])
    revoked = latest(node, obj["id"])
    assert revoked["revoked"] is True and revoked["modified"].startswith("2055-")
    with pytest.raises(InvalidInput, match="no new versions"):
        actions.new_version(ANALYST, obj["id"], VersionChanges(None, None, None, Tlp.GREEN))


def test_what_users_add_about_an_object_is_theirs_and_marked_as_it_is(node: Node) -> None:
    obj = indicator()
    store(node, obj)
    actions = actions_of(node)
    actions.mark_false_positive(OTHER, obj["id"])
    actions.add_note(OTHER, "bob", obj["id"], {"content": "seen", "abstract": ""})
    actions.add_opinion(OTHER, "bob", obj["id"], {"opinion": "agree"})
    sighting = latest(node, "sighting--00000000-0000-4000-8000-000000000001")
    assert sighting[FALSE_POSITIVE_PROPERTY] is True
    assert (sighting["created_by_ref"], sighting["where_sighted_refs"]) == (ORG_B, [ORG_B])
    note = latest(node, "note--00000000-0000-4000-8000-000000000002")
    assert "abstract" not in note and note["authors"] == ["bob"]
    opinion = latest(node, "opinion--00000000-0000-4000-8000-000000000003")
    assert "explanation" not in opinion and opinion["object_refs"] == [obj["id"]]
    for made in (sighting, note, opinion):
        assert made["object_marking_refs"] == [GREEN]
    with pytest.raises(PermissionDenied):
        actions.add_note(READER, "rita", obj["id"], {"content": "seen"})
    with pytest.raises(InvalidInput, match="only indicators"):
        actions.mark_false_positive(ANALYST, note["id"])


def test_an_unmarked_object_gets_annotations_at_the_default_marking(node: Node) -> None:
    obj = indicator(marking=None)
    store(node, obj)
    actions_of(node).add_note(ANALYST, "alice", obj["id"], {"content": "seen"})
    note = latest(node, "note--00000000-0000-4000-8000-000000000001")
    assert note["object_marking_refs"] == [marking_id_for(Tlp.AMBER_STRICT)]
