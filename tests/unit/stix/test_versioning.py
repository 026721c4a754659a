"""Tests for the STIX 2.1 versioning rules (§3.6)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from entente.errors import VersioningError
from entente.stix import (
    BUILTIN_MARKINGS,
    Correction,
    Judgement,
    StixObject,
    VersionVerdict,
    check_version,
    judge_version,
    parse_object,
)

UUID = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
IDENTITY = f"identity--{UUID}"
OTHER_IDENTITY = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
T0 = "2020-01-01T00:00:00.000Z"
T1 = "2020-02-01T00:00:00.000Z"
T2 = "2020-03-01T00:00:00.000Z"


def _tool(modified: str = T0, **extra: Any) -> StixObject:
    raw = {
        "type": "tool",
        "spec_version": "2.1",
        "id": f"tool--{UUID}",
        "created": T0,
        "modified": modified,
        "created_by_ref": IDENTITY,
        "name": "nmap",
        **extra,
    }
    return parse_object(raw)


def _ip(value: str = "198.51.100.1") -> StixObject:
    return parse_object({"type": "ipv4-addr", "id": f"ipv4-addr--{UUID}", "value": value})


def _marking(statement: str = "Copyright ACME") -> StixObject:
    return parse_object(
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": f"marking-definition--{UUID}",
            "created": T0,
            "definition_type": "statement",
            "definition": {"statement": statement},
        }
    )


def _error(candidate: StixObject, stored: list[StixObject]) -> VersioningError:
    with pytest.raises(VersioningError) as info:
        check_version(candidate, stored)
    assert info.value.object_id == candidate.id
    return info.value


def test_first_version_of_an_id_is_new() -> None:
    assert check_version(_tool(), []) is VersionVerdict.NEW


def test_newer_version_is_new() -> None:
    assert check_version(_tool(T1, name="nmap 7"), [_tool()]) is VersionVerdict.NEW


def test_same_modified_and_identical_content_is_a_duplicate() -> None:
    assert check_version(_tool(T1), [_tool(), _tool(T1)]) is VersionVerdict.DUPLICATE


def test_same_modified_written_with_other_precision_and_same_json_is_a_duplicate() -> None:
    assert check_version(_tool(), [_tool()]) is VersionVerdict.DUPLICATE


def test_same_modified_with_different_content_is_rejected() -> None:
    error = _error(_tool(T1, name="changed"), [_tool(), _tool(T1)])
    assert "a different object with the same id and modified is already stored" in error.reason
    assert error.field == "modified"


def test_same_instant_written_differently_counts_as_the_same_modified() -> None:
    candidate = _tool("2020-02-01T00:00:00Z")
    error = _error(candidate, [_tool(T1)])
    assert error.field == "modified"


def test_older_version_arriving_late_is_new() -> None:
    assert check_version(_tool(T1), [_tool(), _tool(T2)]) is VersionVerdict.NEW


def test_changed_created_is_rejected_naming_created() -> None:
    candidate = parse_object({**_tool(T2).raw, "created": T1})
    error = _error(candidate, [_tool()])
    assert error.field == "created"


def test_created_written_with_other_precision_is_the_same_created() -> None:
    candidate = parse_object({**_tool(T2).raw, "created": "2020-01-01T00:00:00Z"})
    assert check_version(candidate, [_tool()]) is VersionVerdict.NEW


def test_changed_created_by_ref_is_rejected_naming_created_by_ref() -> None:
    error = _error(_tool(T1, created_by_ref=OTHER_IDENTITY), [_tool()])
    assert error.field == "created_by_ref"


def test_dropping_created_by_ref_is_rejected() -> None:
    raw = dict(_tool(T1).raw)
    del raw["created_by_ref"]
    assert _error(parse_object(raw), [_tool()]).field == "created_by_ref"


def test_version_newer_than_a_revoked_version_is_rejected() -> None:
    error = _error(_tool(T2), [_tool(), _tool(T1, revoked=True)])
    assert "object was revoked; revoked objects take no new versions (§3.6)" in error.reason


def test_late_older_version_of_a_revoked_object_is_still_new() -> None:
    assert check_version(_tool(T1), [_tool(), _tool(T2, revoked=True)]) is VersionVerdict.NEW


def test_identical_sco_is_a_duplicate() -> None:
    assert check_version(_ip(), [_ip()]) is VersionVerdict.DUPLICATE


def test_different_sco_with_the_same_id_is_rejected_as_unversioned() -> None:
    error = _error(_ip("198.51.100.2"), [_ip()])
    assert "SCOs are not versioned (§3.6)" in error.reason


def test_identical_marking_definition_is_a_duplicate() -> None:
    assert check_version(_marking(), [_marking()]) is VersionVerdict.DUPLICATE


def test_changed_marking_definition_is_rejected_as_unversioned() -> None:
    error = _error(_marking("Other"), [_marking()])
    assert "marking-definitions are not versioned (§3.6)" in error.reason


def test_type_cannot_change_under_one_id() -> None:
    other = dataclasses.replace(_tool(), type="malware")  # only a broken store could do this
    error = _error(_tool(T1), [other])
    assert error.field == "type"


# -- corrections by the creator (publishers that break §3.6 fixing their own data) -----------


def _judge(candidate: StixObject, stored: list[StixObject]) -> Judgement:
    return judge_version(candidate, stored, from_creator=True)


def test_other_content_under_a_held_modified_from_the_creator_replaces_it() -> None:
    # Mobile ATT&CK 17.1 added x_mitre_deprecated to 1,329 objects without a new modified.
    judgement = _judge(_tool(T1, x_mitre_deprecated=False), [_tool(), _tool(T1)])
    assert judgement == Judgement(VersionVerdict.CORRECTION, Correction.CONTENT, replaces=True)


def test_a_creator_may_correct_created_in_a_later_version() -> None:
    candidate = parse_object({**_tool(T2).raw, "created": T1})
    judgement = _judge(candidate, [_tool()])
    assert judgement == Judgement(VersionVerdict.CORRECTION, Correction.CREATED)


def test_after_a_created_correction_the_corrected_created_is_the_reference() -> None:
    corrected = parse_object({**_tool(T1).raw, "created": T1})
    later = parse_object({**_tool(T2).raw, "created": T1})
    assert _judge(later, [_tool(), corrected]) == Judgement(VersionVerdict.NEW)
    # ... and §3.6 alone agrees: the version it follows has that created.
    assert check_version(later, [_tool(), corrected]) is VersionVerdict.NEW


def test_a_later_version_of_a_revoked_object_that_stays_revoked_is_a_correction() -> None:
    judgement = _judge(_tool(T2, revoked=True), [_tool(), _tool(T1, revoked=True)])
    assert judgement == Judgement(VersionVerdict.CORRECTION, Correction.REVOKED)


def test_a_later_version_withdrawing_a_revocation_is_rejected_even_from_the_creator() -> None:
    with pytest.raises(VersioningError, match="revoked") as info:
        _judge(_tool(T2), [_tool(), _tool(T1, revoked=True)])
    assert info.value.field == "revoked"


def test_a_content_correction_may_not_withdraw_a_revocation() -> None:
    with pytest.raises(VersioningError, match="cannot withdraw the revocation"):
        _judge(_tool(T1, name="unrevoked"), [_tool(), _tool(T1, revoked=True)])


def test_created_by_ref_is_never_corrected() -> None:
    with pytest.raises(VersioningError) as info:
        _judge(_tool(T1, name="forged", created_by_ref=OTHER_IDENTITY), [_tool(), _tool(T1)])
    assert info.value.field == "created_by_ref"


def test_a_creator_corrects_its_marking_definition_in_place() -> None:
    # MITRE rewrote its copyright statement under the same id and created.
    judgement = _judge(_marking("Copyright 2015-2025"), [_marking()])
    assert judgement == Judgement(VersionVerdict.CORRECTION, Correction.CONTENT, replaces=True)


def test_the_tlp_marking_definitions_are_never_corrected() -> None:
    tlp = dict(BUILTIN_MARKINGS[0])
    altered = parse_object({**tlp, "name": "TLP:CLEAR (corrected)"})
    with pytest.raises(VersioningError, match="not versioned"):
        _judge(altered, [parse_object(tlp)])


def test_without_the_creator_every_break_is_still_rejected() -> None:
    for candidate, stored in (
        (_tool(T1, name="changed"), [_tool(), _tool(T1)]),
        (parse_object({**_tool(T2).raw, "created": T1}), [_tool()]),
        (_tool(T2, revoked=True), [_tool(), _tool(T1, revoked=True)]),
        (_marking("Other"), [_marking()]),
    ):
        with pytest.raises(VersioningError):
            judge_version(candidate, stored, from_creator=False)


def test_an_identical_copy_is_a_duplicate_whoever_judges() -> None:
    assert _judge(_tool(T1), [_tool(), _tool(T1)]) == Judgement(VersionVerdict.DUPLICATE)
