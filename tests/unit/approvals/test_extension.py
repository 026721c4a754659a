"""The STIX form of requests and approvals: valid STIX 2.1, valid against the extension
schemas, a round trip that still verifies, and refusals with the field that is wrong."""

from __future__ import annotations

import copy

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
import pytest
from tests.unit.approvals.test_decision import KEYS, ORG_B, approve, request

from entente.approvals import (
    APPROVAL_EXTENSION_ID,
    APPROVAL_SCHEMA,
    REQUEST_EXTENSION_ID,
    REQUEST_SCHEMA,
    Policy,
    Verdict,
    decide,
    extension_definitions,
    is_approval,
    is_request,
    parse_approval,
    parse_request,
    render_approval,
    render_request,
)
from entente.errors import InvalidObject
from entente.stix import Tlp, marking_id_for, parse_object

OPINION_ID = "opinion--44444444-4444-4444-8444-444444444444"
AMBER = marking_id_for(Tlp.AMBER)


def test_a_request_is_valid_stix_and_round_trips() -> None:
    req = request(required_orgs=(ORG_B,))
    obj = render_request(req, marking_refs=(AMBER,))
    parse_object(obj)
    jsonschema.validate(obj["extensions"][REQUEST_EXTENSION_ID], REQUEST_SCHEMA)
    assert is_request(obj)
    assert not is_approval(obj)
    assert parse_request(obj) == req


def test_an_approval_is_a_valid_opinion_that_still_verifies_after_a_round_trip() -> None:
    req = request()
    approvals = [approve(req, "bob"), approve(req, "carol", verdict=Verdict.REJECT)]
    read = []
    for n, approval in enumerate(approvals):
        obj = render_approval(approval, approval_id=OPINION_ID[:-1] + str(n), marking_refs=(AMBER,))
        parse_object(obj)
        jsonschema.validate(obj["extensions"][APPROVAL_EXTENSION_ID], APPROVAL_SCHEMA)
        assert obj["opinion"] == ("agree" if n == 0 else "disagree")
        assert is_approval(obj)
        read.append(parse_approval(obj))
    assert [a.verdict for a in read] == [Verdict.APPROVE, Verdict.REJECT]
    decision = decide(req, read, Policy(1), KEYS)
    assert not decision.ignored
    assert [a.approver for a in decision.rejected_by] == ["carol"]


def test_the_extension_definitions_are_valid_stix() -> None:
    for definition in extension_definitions():
        parse_object(definition)
    assert {d["id"] for d in extension_definitions()} == {
        REQUEST_EXTENSION_ID,
        APPROVAL_EXTENSION_ID,
    }


def test_a_request_whose_payload_is_not_its_digest_is_refused() -> None:
    obj = render_request(request())
    obj["extensions"][REQUEST_EXTENSION_ID]["payload"] = "eyJyZXBvcnQiOiAyfQ=="
    with pytest.raises(InvalidObject, match="is not the SHA-256 of the payload"):
        parse_request(obj)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action_type", "tweet", "must be one of"),
        ("payload", "***", "is not base64"),
        ("requester", "", "must be a non-empty string"),
        ("targets", "abuse@example.net", "must be a list"),
    ],
)
def test_a_malformed_request_names_the_field(field: str, value: object, message: str) -> None:
    obj = copy.deepcopy(render_request(request()))
    obj["extensions"][REQUEST_EXTENSION_ID][field] = value
    with pytest.raises(InvalidObject, match=message) as caught:
        parse_request(obj)
    assert field in caught.value.field


def test_an_opinion_that_says_agree_for_a_rejection_is_refused() -> None:
    obj = render_approval(approve(request(), "bob", verdict=Verdict.REJECT), approval_id=OPINION_ID)
    obj["opinion"] = "agree"
    with pytest.raises(InvalidObject, match="must be disagree"):
        parse_approval(obj)


def test_other_objects_are_neither_requests_nor_approvals() -> None:
    grouping = {"type": "grouping", "extensions": {"x": {}}}
    assert not is_request(grouping)
    with pytest.raises(InvalidObject):
        parse_request(grouping)
    with pytest.raises(InvalidObject):
        parse_approval({"type": "opinion"})
