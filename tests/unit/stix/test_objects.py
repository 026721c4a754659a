"""Tests for STIX 2.1 object validation (§3-§7, §11)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from entente.errors import InvalidObject, InvalidPattern
from entente.stix import ObjectKind, parse_object

DATA = Path(__file__).resolve().parents[2] / "data" / "stix"
UUID = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
IDENTITY = f"identity--{UUID}"
MARKING = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TS = "2016-04-06T20:03:48.000Z"
LATER = "2016-05-06T20:03:48.000Z"
EXT_DEF = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"


def _objects(name: str) -> list[dict[str, Any]]:
    document: Any = json.loads((DATA / name).read_text(encoding="utf-8"))
    return list(document["objects"]) if "objects" in document else [document]


def _sdo(object_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": object_type,
        "spec_version": "2.1",
        "id": f"{object_type}--{UUID}",
        "created": TS,
        "modified": TS,
        **extra,
    }


def _sco(object_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": object_type, "spec_version": "2.1", "id": f"{object_type}--{UUID}", **extra}


REF = f"indicator--{UUID}"
VALID: dict[str, dict[str, Any]] = {
    "attack-pattern": _sdo("attack-pattern", name="Spear phishing"),
    "campaign": _sdo("campaign", name="Green Group", first_seen=TS, last_seen=LATER),
    "course-of-action": _sdo("course-of-action", name="Block"),
    "grouping": _sdo("grouping", context="suspicious-activity", object_refs=[REF]),
    "identity": _sdo("identity", name="ACME", identity_class="organization"),
    "incident": _sdo("incident", name="Breach"),
    "indicator": _sdo(
        "indicator",
        pattern="[ipv4-addr:value = '198.51.100.1']",
        pattern_type="stix",
        valid_from=TS,
        valid_until=LATER,
    ),
    "infrastructure": _sdo("infrastructure", name="C2"),
    "intrusion-set": _sdo("intrusion-set", name="APT"),
    "location": _sdo("location", region="europe"),
    "malware": _sdo("malware", name="Cryptolocker", is_family=True),
    "malware-analysis": _sdo("malware-analysis", product="av", result="malicious"),
    "note": _sdo("note", content="text", object_refs=[REF]),
    "observed-data": _sdo(
        "observed-data",
        first_observed=TS,
        last_observed=LATER,
        number_observed=1,
        object_refs=[f"ipv4-addr--{UUID}"],
    ),
    "opinion": _sdo("opinion", opinion="agree", object_refs=[REF]),
    "report": _sdo("report", name="R", published=TS, object_refs=[REF]),
    "threat-actor": _sdo("threat-actor", name="Bravo"),
    "tool": _sdo("tool", name="nmap"),
    "vulnerability": _sdo("vulnerability", name="CVE-2016-1234"),
    "relationship": _sdo(
        "relationship", relationship_type="uses", source_ref=REF, target_ref=f"malware--{UUID}"
    ),
    "sighting": _sdo("sighting", sighting_of_ref=REF, count=3, first_seen=TS, last_seen=LATER),
    "artifact": _sco("artifact", payload_bin="aGVsbG8="),
    "autonomous-system": _sco("autonomous-system", number=15139),
    "directory": _sco("directory", path="C:\\Windows"),
    "domain-name": _sco("domain-name", value="example.com"),
    "email-addr": _sco("email-addr", value="a@example.com"),
    "email-message": _sco("email-message", is_multipart=False),
    "file": _sco("file", name="a.exe"),
    "ipv4-addr": _sco("ipv4-addr", value="198.51.100.3"),
    "ipv6-addr": _sco("ipv6-addr", value="2001:db8::1"),
    "mac-addr": _sco("mac-addr", value="d2:fb:49:24:37:18"),
    "mutex": _sco("mutex", name="__CLEANSWEEP__"),
    "network-traffic": _sco("network-traffic", protocols=["tcp"], dst_ref=f"ipv4-addr--{UUID}"),
    "process": _sco("process", pid=1221),
    "software": _sco("software", name="Word"),
    "url": _sco("url", value="https://example.com/"),
    "user-account": _sco("user-account", user_id="1001"),
    "windows-registry-key": _sco("windows-registry-key", key="HKEY_LOCAL_MACHINE\\System"),
    "x509-certificate": _sco("x509-certificate", serial_number="36:f7:d4:32"),
    "marking-definition": {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": MARKING,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "definition": {"tlp": "green"},
    },
    "language-content": _sdo(
        "language-content", object_ref=REF, object_modified=TS, contents={"de": {"name": "x"}}
    ),
    "extension-definition": _sdo(
        "extension-definition",
        created_by_ref=IDENTITY,
        name="ext",
        schema="https://example.com/schema.json",
        version="1.0.0",
        extension_types=["property-extension"],
    ),
}
KINDS = {
    **dict.fromkeys(list(VALID)[:19], ObjectKind.SDO),
    "relationship": ObjectKind.SRO,
    "sighting": ObjectKind.SRO,
    **dict.fromkeys(list(VALID)[21:39], ObjectKind.SCO),
    "marking-definition": ObjectKind.META,
    "language-content": ObjectKind.META,
    "extension-definition": ObjectKind.META,
}
REQUIRED = {
    "attack-pattern": ["name"],
    "grouping": ["context", "object_refs"],
    "indicator": ["pattern", "pattern_type", "valid_from"],
    "malware": ["is_family"],
    "malware-analysis": ["product"],
    "note": ["content", "object_refs"],
    "observed-data": ["first_observed", "last_observed", "number_observed", "object_refs"],
    "opinion": ["opinion", "object_refs"],
    "report": ["name", "published", "object_refs"],
    "relationship": ["relationship_type", "source_ref", "target_ref"],
    "sighting": ["sighting_of_ref"],
    "autonomous-system": ["number"],
    "directory": ["path"],
    "domain-name": ["value"],
    "email-addr": ["value"],
    "email-message": ["is_multipart"],
    "ipv4-addr": ["value"],
    "ipv6-addr": ["value"],
    "mac-addr": ["value"],
    "mutex": ["name"],
    "network-traffic": ["protocols"],
    "software": ["name"],
    "url": ["value"],
    "language-content": ["object_ref", "contents", "created", "modified"],
    "extension-definition": ["created_by_ref", "name", "schema", "version", "extension_types"],
    "marking-definition": ["created", "spec_version"],
    "identity": ["created", "modified", "spec_version"],
}
REQUIRED_CASES = [(t, name) for t, names in REQUIRED.items() for name in names]


def _reject(obj: object) -> InvalidObject:
    with pytest.raises(InvalidObject) as info:
        parse_object(obj)
    return info.value


# --------------------------------------------------------------------- every type


def test_the_table_covers_all_stix_types() -> None:
    assert len(VALID) == 19 + 2 + 18 + 3


@pytest.mark.parametrize("object_type", list(VALID))
def test_minimal_valid_object_of_each_type_parses_with_its_kind(object_type: str) -> None:
    raw = VALID[object_type]
    obj = parse_object(raw)
    assert obj.type == object_type
    assert obj.kind is KINDS[object_type]
    assert obj.raw is raw
    assert obj.spec_version == "2.1"


@pytest.mark.parametrize(("object_type", "name"), REQUIRED_CASES)
def test_missing_required_property_is_rejected_naming_it(object_type: str, name: str) -> None:
    raw = copy.deepcopy(VALID[object_type])
    del raw[name]
    error = _reject(raw)
    assert error.field == name
    assert error.object_id == raw["id"]


# --------------------------------------------------------------------- sample data


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_every_object_in_the_sample_bundles_parses_except_known_bad_ones(name: str) -> None:
    known_bad = {
        "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111",  # created "2022-101-27..."
        "malware--b42378e0-f147-496f-992a-26a49705395b",  # no spec_version: STIX 2.0
    }
    for raw in _objects(name):
        if raw["id"] in known_bad:
            continue
        snapshot = json.dumps(raw)
        obj = parse_object(raw)
        assert obj.id == raw["id"]
        assert json.dumps(obj.raw) == snapshot  # raw kept verbatim, order included


def test_tlp2_green_example_relationship_is_rejected_naming_created() -> None:
    relationship = next(
        o for o in _objects("using-tlp2.0-green.json") if o["type"] == "relationship"
    )
    error = _reject(relationship)
    assert error.field == "created"
    assert "2022-101-27T13:49:54.326Z" in error.reason
    assert error.object_id == "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111"


def test_stix20_malware_without_spec_version_is_rejected_as_stix20_content() -> None:
    error = _reject(_objects("malware--b42378e0-f147-496f-992a-26a49705395b.json")[0])
    assert error.field == "spec_version"
    assert "required for STIX 2.1 SDOs (§3.2); this looks like STIX 2.0 content" in error.reason


def test_schema_example_with_upper_case_uuid_hex_is_accepted() -> None:
    relationship = next(o for o in _objects("infrastructure.json") if "E9034" in o["id"])
    assert parse_object(relationship).id == relationship["id"]


def test_scos_without_spec_version_in_sample_data_default_to_2_1() -> None:
    scos = [o for o in _objects("infrastructure.json") if "spec_version" not in o]
    assert scos
    for raw in scos:
        assert parse_object(raw).spec_version == "2.1"


# --------------------------------------------------------------------- envelope


@pytest.mark.parametrize("value", [None, [], "indicator", 3, ["type"]])
def test_non_object_json_is_rejected(value: object) -> None:
    error = _reject(value)
    assert error.field == ""
    assert "JSON object" in error.reason


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"type": None}, "type", "required"),
        ({"type": "Indicator"}, "type", "not a valid type name"),
        ({"type": "ab"}, "type", "not a valid type name"),
        ({"id": None}, "id", "required"),
        ({"id": f"malware--{UUID}"}, "id", "indicator--<UUID>"),
        ({"id": "indicator--not-a-uuid"}, "id", "§2.9"),
        ({"spec_version": "2.0"}, "spec_version", "must be '2.1'"),
        ({"spec_version": 2.1}, "spec_version", "must be '2.1'"),
        ({"created": "2016-04-06T20:03:48+00:00"}, "created", "not in UTC"),
        ({"modified": "2016-01-06T20:03:48.000Z"}, "modified", "earlier than created"),
        ({"created_by_ref": f"malware--{UUID}"}, "created_by_ref", "identity"),
        ({"created_by_ref": "identity--x"}, "created_by_ref", "not a STIX identifier"),
        ({"revoked": "false"}, "revoked", "boolean"),
        ({"labels": "a"}, "labels", "list of strings"),
        ({"labels": ["a", 1]}, "labels[1]", "string"),
        ({"confidence": 101}, "confidence", "between 0 and 100"),
        ({"confidence": -1}, "confidence", "between 0 and 100"),
        ({"confidence": 50.5}, "confidence", "integer"),
        ({"confidence": True}, "confidence", "integer"),
        ({"lang": 1}, "lang", "string"),
        ({"object_marking_refs": MARKING}, "object_marking_refs", "list"),
        ({"object_marking_refs": [IDENTITY]}, "object_marking_refs[0]", "marking-definition"),
        ({"external_references": {}}, "external_references", "list"),
        ({"external_references": ["x"]}, "external_references[0]", "JSON object"),
        (
            {"external_references": [{"source_name": "a"}, {"source_name": "b"}, {"url": "u"}]},
            "external_references[2].source_name",
            "required",
        ),
        (
            {"external_references": [{"source_name": "a", "url": 5}]},
            "external_references[0].url",
            "string",
        ),
        ({"granular_markings": [{"selectors": ["name"]}]}, "granular_markings[0]", "exactly one"),
        (
            {"granular_markings": [{"marking_ref": MARKING, "lang": "en", "selectors": ["a"]}]},
            "granular_markings[0]",
            "exactly one",
        ),
        (
            {"granular_markings": [{"marking_ref": MARKING, "selectors": []}]},
            "granular_markings[0].selectors",
            "non-empty",
        ),
        (
            {"granular_markings": [{"marking_ref": IDENTITY, "selectors": ["a"]}]},
            "granular_markings[0].marking_ref",
            "marking-definition",
        ),
        (
            {"granular_markings": [{"lang": 1, "selectors": ["a"]}]},
            "granular_markings[0].lang",
            "string",
        ),
        ({"extensions": []}, "extensions", "JSON object"),
        ({"extensions": {"my-ext": {}}}, "extensions.my-ext", "extension-definition ids"),
        ({"extensions": {EXT_DEF: "x"}}, f"extensions.{EXT_DEF}", "JSON object"),
        ({"kill_chain_phases": [{"phase_name": "x"}]}, "kill_chain_phases[0].kill_chain_name", ""),
    ],
)
def test_common_property_violations_are_rejected_naming_the_field(
    changes: dict[str, Any], field: str, fragment: str
) -> None:
    raw = {**VALID["indicator"], **changes}
    error = _reject(raw)
    assert error.field == field
    assert fragment in error.reason


def test_relationship_with_three_digit_month_is_rejected_naming_created() -> None:
    raw = {**VALID["relationship"], "created": "2022-101-27T13:49:54.326Z"}
    assert _reject(raw).field == "created"


def test_missing_spec_version_on_an_sdo_says_it_looks_like_stix20() -> None:
    raw = dict(VALID["campaign"])
    del raw["spec_version"]
    error = _reject(raw)
    assert error.field == "spec_version"
    assert "this looks like STIX 2.0 content" in error.reason


def test_modified_equal_to_created_with_other_precision_is_accepted() -> None:
    raw = {**VALID["tool"], "created": "2016-04-06T20:03:48Z", "modified": TS}
    assert parse_object(raw).modified == parse_object(raw).created


def test_custom_properties_and_extensions_are_kept_verbatim() -> None:
    raw = {
        **VALID["indicator"],
        "x_acme_score": {"nested": [1, 2]},
        "extensions": {EXT_DEF: {"extension_type": "property-extension", "rank": 5}},
    }
    before = json.dumps(raw)
    obj = parse_object(raw)
    assert json.dumps(obj.raw) == before


def test_common_fields_are_exposed_on_the_parsed_object() -> None:
    raw = {**VALID["malware"], "created_by_ref": IDENTITY, "object_marking_refs": [MARKING]}
    obj = parse_object({**raw, "revoked": True})
    assert obj.created_by_ref == IDENTITY
    assert obj.object_marking_refs == (MARKING,)
    assert obj.revoked is True
    assert obj.created is not None
    assert obj.created.text == TS


# --------------------------------------------------------------------- type-specific


@pytest.mark.parametrize(
    ("object_type", "changes", "field", "fragment"),
    [
        ("indicator", {"pattern": "[ipv4-addr:value = '1.2.3.4'"}, "pattern", "§9"),
        ("indicator", {"pattern": 5}, "pattern", "string"),
        ("indicator", {"valid_from": "yesterday"}, "valid_from", "not a valid timestamp"),
        ("indicator", {"valid_until": TS}, "valid_until", "later than valid_from"),
        ("indicator", {"indicator_types": "malicious"}, "indicator_types", "list"),
        ("malware", {"is_family": "yes"}, "is_family", "boolean"),
        ("malware", {"first_seen": LATER, "last_seen": TS}, "last_seen", "earlier"),
        ("campaign", {"first_seen": LATER, "last_seen": TS}, "last_seen", "earlier"),
        ("observed-data", {"number_observed": 0}, "number_observed", "between 1"),
        ("observed-data", {"number_observed": 10**9}, "number_observed", "999,999,999"),
        ("observed-data", {"last_observed": "2016-01-01T00:00:00Z"}, "last_observed", "earlier"),
        ("observed-data", {"object_refs": []}, "object_refs", "empty"),
        ("observed-data", {"object_refs": ["x"]}, "object_refs[0]", "identifier"),
        ("report", {"published": "2016-04-06"}, "published", "date without a time"),
        ("report", {"object_refs": []}, "object_refs", "empty"),
        ("grouping", {"object_refs": "x"}, "object_refs", "list"),
        ("location", {"region": None, "latitude": 1.0}, "latitude", "together"),
        ("location", {"latitude": 91, "longitude": 0}, "latitude", "between -90 and 90"),
        ("malware-analysis", {"result": None}, "result", "analysis_sco_refs"),
        ("relationship", {"source_ref": "nope"}, "source_ref", "identifier"),
        ("relationship", {"start_time": LATER, "stop_time": TS}, "stop_time", "later"),
        ("sighting", {"count": 1_000_000_000}, "count", "999,999,999"),
        ("sighting", {"count": -1}, "count", "between 0"),
        ("sighting", {"first_seen": LATER, "last_seen": TS}, "last_seen", "earlier"),
        ("sighting", {"where_sighted_refs": [REF]}, "where_sighted_refs[0]", "identity"),
        ("sighting", {"observed_data_refs": [REF]}, "observed_data_refs[0]", "observed-data"),
        ("file", {"name": None}, "hashes", "hashes or name"),
        ("artifact", {"payload_bin": None}, "payload_bin", "exactly one"),
        ("network-traffic", {"protocols": []}, "protocols", "empty"),
        ("ipv4-addr", {"value": 3232235777}, "value", "string"),
        ("autonomous-system", {"number": "AS1"}, "number", ""),
        ("marking-definition", {"definition": None}, "definition", "definition_type"),
        ("language-content", {"contents": []}, "contents", "JSON object"),
        ("extension-definition", {"extension_types": []}, "extension_types", "empty"),
    ],
)
def test_type_specific_violations_are_rejected_naming_the_field(
    object_type: str, changes: dict[str, Any], field: str, fragment: str
) -> None:
    raw = {k: v for k, v in {**VALID[object_type], **changes}.items() if v is not None}
    error = _reject(raw)
    assert error.field == field
    assert fragment in error.reason


def test_invalid_stix_pattern_raises_invalid_pattern_with_the_object_id() -> None:
    raw = {**VALID["indicator"], "pattern": "[file:hashes.MD5 = 'nope']"}
    with pytest.raises(InvalidPattern) as info:
        parse_object(raw)
    assert info.value.field == "pattern"
    assert info.value.object_id == raw["id"]


def test_non_stix_pattern_types_are_not_parsed_as_stix() -> None:
    raw = {**VALID["indicator"], "pattern_type": "snort", "pattern": "alert tcp any any"}
    assert parse_object(raw).type == "indicator"


def test_malware_family_needs_a_name() -> None:
    raw = dict(VALID["malware"])
    del raw["name"]
    assert _reject(raw).field == "name"
    assert parse_object({**raw, "is_family": False}).type == "malware"


def test_observed_data_accepts_the_deprecated_objects_dictionary() -> None:
    raw = dict(VALID["observed-data"])
    del raw["object_refs"]
    raw["objects"] = {"0": {"type": "ipv4-addr", "value": "1.2.3.4"}}
    assert parse_object(raw).type == "observed-data"


# --------------------------------------------------------------------- custom objects


def test_custom_object_needs_sdo_common_properties() -> None:
    raw = _sdo("x-mitre-tactic", name="Collection")
    assert parse_object(raw).kind is ObjectKind.CUSTOM
    del raw["modified"]
    assert _reject(raw).field == "modified"


def test_custom_object_without_spec_version_is_rejected() -> None:
    raw = _sdo("x-acme-thing")
    del raw["spec_version"]
    error = _reject(raw)
    assert error.field == "spec_version"
    assert "custom objects" in error.reason


def test_custom_object_declared_new_sco_needs_only_id_and_type() -> None:
    raw = {
        "type": "x-acme-device",
        "id": f"x-acme-device--{UUID}",
        "extensions": {EXT_DEF: {"extension_type": "new-sco"}},
    }
    obj = parse_object(raw)
    assert obj.kind is ObjectKind.CUSTOM
    assert obj.spec_version == "2.1"
    assert obj.is_versioned is False
    assert obj.version_key == ""


def test_custom_object_with_invalid_type_name_is_rejected() -> None:
    raw = _sdo("x_acme")
    raw["id"] = f"x_acme--{UUID}"
    assert _reject(raw).field == "type"


# --------------------------------------------------------------------- versioning helpers


def test_sdo_is_versioned_by_modified() -> None:
    obj = parse_object({**VALID["tool"], "modified": LATER})
    assert obj.is_versioned is True
    assert obj.version_key == "2016-05-06T20:03:48.000000000Z"


def test_marking_definition_is_unversioned_and_keyed_by_created() -> None:
    obj = parse_object(VALID["marking-definition"])
    assert obj.is_versioned is False
    assert obj.version_key == "2017-01-20T00:00:00.000000000Z"


def test_sco_is_unversioned_with_an_empty_version_key() -> None:
    obj = parse_object(VALID["ipv4-addr"])
    assert obj.is_versioned is False
    assert obj.version_key == ""
