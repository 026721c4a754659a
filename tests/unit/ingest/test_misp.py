"""The MISP reader: real PyMISP and misp-stix exports become valid, deterministic STIX 2.1."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from entente.errors import MalformedDocument
from entente.ingest.candidates import Candidate
from entente.ingest.misp import convert_event, is_misp_document, read_misp
from entente.matching import compile_pattern
from entente.stix.identifiers import deterministic_id, is_valid_id
from entente.stix.markings import Tlp, marking_id_for

DATA = Path(__file__).resolve().parents[2] / "data" / "misp"
SAMPLES = sorted(p for p in DATA.glob("*/*.json") if p.name != "sighting.json")
ORG = {"name": "ACME CERT", "uuid": "5f6e7d8c-1a2b-4c3d-8e9f-0a1b2c3d4e5f"}
TS = "1603642920"  # 2020-10-25T16:22:00Z


def _read(path: Path) -> list[Candidate]:
    return list(read_misp(path.read_bytes(), source=path.name))


def _objects(cands: list[Candidate]) -> list[Mapping[str, Any]]:
    return [c.data for c in cands if c.data is not None]


def _event(attributes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    event = {
        "uuid": "b5a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
        "info": "Test event",
        "date": "2020-10-25",
        "timestamp": TS,
        "publish_timestamp": TS,
        "Orgc": ORG,
        "Attribute": attributes,
    }
    event.update(extra)
    return event


def _attr(
    kind: str, value: str, *, to_ids: bool = True, n: int = 0, **extra: Any
) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "type": kind,
        "category": "Network activity",
        "value": value,
        "timestamp": TS,
        "to_ids": to_ids,
        **extra,
    }


def _convert(event: Mapping[str, Any], markings: tuple[str, ...] = ()) -> list[Candidate]:
    return list(convert_event(event, source="t", position="Event[0]", markings=markings))


def _by_type(cands: list[Candidate], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in _objects(cands) if o["type"] == kind]


def _all_samples() -> Iterator[tuple[Path, list[Candidate]]]:
    for path in SAMPLES:
        yield path, _read(path)


# --- real data ---------------------------------------------------------------------------------


RECURRING = {
    "identity",
    "threat-actor",
    "intrusion-set",
    "malware",
    "attack-pattern",
    "tool",
    "course-of-action",
    "relationship",
}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_event_converts(path: Path) -> None:
    cands = _read(path)
    assert _objects(cands), path.name
    assert all(c.source == path.name for c in cands)
    # Only objects that recur across events (org identity, galaxy SDOs, their relationships)
    # are derived; indicators, observables and the report belong to this event alone.
    for c in cands:
        if c.data is not None:
            assert c.derived == (c.data["type"] in RECURRING), c.data["type"]
    assert all((c.data is None) == (c.error is not None) for c in cands)
    doc = orjson.loads(path.read_bytes())
    assert len(_by_type(cands, "report")) == _event_count(doc)


def _event_count(doc: Any) -> int:
    if isinstance(doc, list):
        return sum(_event_count(d) for d in doc)
    if "response" in doc:
        return _event_count(doc["response"])
    if "Event" in doc:
        return 1
    return 1 if "info" in doc else 0


def test_every_indicator_pattern_passes_stix2_patterns() -> None:
    checked = 0
    for _path, cands in _all_samples():
        for obj in _by_type(cands, "indicator"):
            if obj["pattern_type"] == "stix":
                assert run_validator(obj["pattern"], "2.1") == [], obj["pattern"]
                checked += 1
    assert checked > 300


def test_every_object_has_valid_id_spec_version_and_ordered_timestamps() -> None:
    for _path, cands in _all_samples():
        for obj in _objects(cands):
            assert is_valid_id(obj["id"], obj["type"]), obj["id"]
            assert obj["spec_version"] == "2.1"
            if "created" in obj:
                assert obj["created"] <= obj["modified"]
                assert obj["created"].endswith(".000Z") and len(obj["created"]) == 24


def test_every_reference_points_at_an_object_of_the_same_event() -> None:
    for _path, cands in _all_samples():
        ids = {o["id"] for o in _objects(cands)}
        for obj in _objects(cands):
            refs = [obj.get("created_by_ref"), obj.get("source_ref"), obj.get("target_ref")]
            refs += obj.get("object_refs", []) + obj.get("resolves_to_refs", [])
            for ref in filter(None, refs):
                assert ref in ids, (obj["id"], ref)


def test_every_object_is_accepted_by_the_stix2_library() -> None:
    stix2 = pytest.importorskip("stix2")
    for _path, cands in _all_samples():
        for obj in _objects(cands):
            stix2.parse(dict(obj), allow_custom=False, version="2.1")


def test_sco_ids_match_the_stix2_library_deterministic_ids() -> None:
    stix2 = pytest.importorskip("stix2")
    seen = 0
    for _path, cands in _all_samples():
        for obj in _objects(cands):
            if "created" in obj:
                continue
            without_id = {k: v for k, v in obj.items() if k not in {"id", "object_marking_refs"}}
            assert stix2.parse(without_id, version="2.1").id == obj["id"]
            seen += 1
    assert seen > 50


def test_every_object_passes_entente_validation() -> None:
    stix = pytest.importorskip("entente.stix")
    parse_object = getattr(stix, "parse_object", None)
    if parse_object is None:
        pytest.skip("entente.stix.parse_object is not available")
    for _path, cands in _all_samples():
        for obj in _objects(cands):
            parse_object(dict(obj))


def test_conversion_is_deterministic() -> None:
    for path in SAMPLES:
        first = orjson.dumps([(c.position, c.data, c.error) for c in _read(path)])
        second = orjson.dumps([(c.position, c.data, c.error) for c in _read(path)])
        assert first == second, path.name


def test_the_creator_org_is_the_created_by_ref_identity() -> None:
    cands = _read(DATA / "pymisp" / "57c4445b-c548-4654-af0b-4be3950d210f.json")
    [identity] = _by_type(cands, "identity")
    assert identity["id"] == "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f"
    assert identity["name"] == "CIRCL" and identity["identity_class"] == "organization"
    for obj in _objects(cands):
        if "created" in obj:
            assert obj["created_by_ref"] == identity["id"]


def test_the_event_becomes_a_report_emitted_last_referencing_everything() -> None:
    cands = _read(DATA / "pymisp" / "57c4445b-c548-4654-af0b-4be3950d210f.json")
    report = cands[-1].data
    assert report is not None and report["type"] == "report"
    assert report["id"] == "report--57c4445b-c548-4654-af0b-4be3950d210f"
    assert report["name"] == "Ransomware - Xorist"
    assert report["published"] == "2016-08-30T09:10:31.000Z"
    assert report["external_references"] == [
        {"source_name": "misp", "external_id": "57c4445b-c548-4654-af0b-4be3950d210f"}
    ]
    assert set(report["object_refs"]) == {o["id"] for o in _objects(cands[:-1])}
    assert 'circl:incident-classification="malware"' in report["labels"]
    assert cands[-1].position == "Event[0]"


def test_to_ids_false_attributes_yield_no_indicator() -> None:
    cands = _read(DATA / "pymisp" / "misp_event.json")
    assert _by_type(cands, "indicator") == []
    [observed] = _by_type(cands, "observed-data")
    assert observed["id"] == "observed-data--575c8598-f1f0-4c16-a94a-0612c0a83866"
    [url] = _by_type(cands, "url")
    assert url["value"] == "http://fake.website.com/malware/is/here"
    assert observed["object_refs"] == [url["id"]] and observed["number_observed"] == 1


def test_a_misp_email_object_gives_its_flagged_address_as_a_deployable_indicator() -> None:
    cands = _read(DATA / "misp-stix" / "test_objects_collection_1.json")
    [email] = [o for o in _by_type(cands, "indicator") if o["name"].startswith("email ")]
    # Was "[email-message:from_ref.value = ...]", a path no matcher or exporter reads.
    assert email["id"] == "indicator--f5ec3603-e3d0-42d7-a372-14c1c137699b"  # the "from"
    assert email["pattern"] == "[email-addr:value = 'donald.duck@disney.com']"
    assert compile_pattern(email["pattern"]).deployable
    assert email["description"] == (
        "MISP email object: to=jdoe@random.org, subject=Email test subject, "
        "message-id=<1234567890@foo.bar>"
    )


def test_a_misp_file_object_becomes_one_deployable_indicator_per_hash() -> None:
    cands = _read(DATA / "misp-stix" / "test_objects_collection_1.json")
    files = [o for o in _by_type(cands, "indicator") if o["name"].startswith("file ")]
    # Was one "[file:name = 'oui' AND file:hashes.MD5 = ... AND ...]": no matcher or
    # exporter deploys an AND; each hash names the file on its own.
    assert [(o["id"], o["pattern"]) for o in files] == [
        (
            "indicator--b1ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f",
            "[file:hashes.MD5 = '8764605c6f388c89096b534d33565802']",
        ),
        (
            "indicator--c2ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f",
            "[file:hashes.'SHA-1' = '46aba99aa7158e4609aaa72b50990842fd22ae86']",
        ),
        (
            "indicator--d3ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f",
            "[file:hashes.'SHA-256' = "
            "'ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab279b']",
        ),
    ]  # the ids are the hash attributes' own MISP uuids
    for indicator in files:
        assert compile_pattern(indicator["pattern"]).deployable
        assert indicator["description"] == (
            "MISP file object: filename=oui, size-in-bytes=35, "
            "path=/var/www/MISP/app/files/scripts/tmp"
        )
        assert 'misp:name="file"' in indicator["labels"]


_HEX = "0123456789abcdef"
_DIGESTS = {"md5": 32, "sha1": 40, "sha256": 64}


@given(
    digests=st.fixed_dictionaries(
        {},
        optional={
            kind: st.text(_HEX + _HEX.upper(), min_size=n, max_size=n)
            for kind, n in _DIGESTS.items()
        },
    ),
    name=st.text(min_size=1, max_size=30).filter(str.strip),
    flag_name=st.booleans(),
)
def test_any_file_object_gives_one_deployable_indicator_per_flagged_hash(
    digests: dict[str, str], name: str, flag_name: bool
) -> None:
    attributes = [
        _attr(kind, digest, n=i, object_relation=kind)
        for i, (kind, digest) in enumerate(sorted(digests.items()))
    ]
    attributes.append(_attr("filename", name, n=9, to_ids=flag_name, object_relation="filename"))
    obj = {"uuid": "11111111-2222-4333-8444-555555555555", "name": "file", "Attribute": attributes}
    cands = _convert(_event([], Object=[obj]))
    assert [c.error for c in cands if c.error] == []
    indicators = _by_type(cands, "indicator")
    if not digests:  # no hash: the object's one pattern, as before (a name is not deployable)
        assert len(indicators) == (1 if flag_name else 0)
        return
    assert len(indicators) == len(digests)
    terms = set()
    for indicator in indicators:
        verdict = compile_pattern(indicator["pattern"])
        assert verdict.deployable, verdict.reason
        [term] = verdict.terms
        terms.add((term.kind.value, term.value))
        assert f"filename={name}" in indicator["description"]
    assert terms == {(kind, digest.lower()) for kind, digest in digests.items()}


def test_every_file_and_domain_ip_object_indicator_in_the_samples_is_deployable() -> None:
    checked = 0
    for path in SAMPLES:
        for obj in _by_type(_read(path), "indicator"):
            if {'misp:name="file"', 'misp:name="domain-ip"'} & set(obj.get("labels", [])):
                verdict = compile_pattern(obj["pattern"])
                assert verdict.deployable, (path.name, obj["pattern"], verdict.reason)
                checked += 1
    assert checked >= 70  # 76 in the samples; every one was an undeployable AND


def test_event_galaxies_become_sdos_the_report_lists_without_invented_relationships() -> None:
    cands = _read(DATA / "pymisp" / "existing_event.json")
    objs = _objects(cands)
    [actor] = [o for o in objs if o["type"] == "threat-actor"]
    assert actor["id"] == "threat-actor--7cdff317-a673-4474-84ec-4f1754947823"
    assert actor["name"] == "Sofacy" and "APT28" in actor["aliases"]
    malware = [o for o in objs if o["type"] == "malware"]
    assert {"CHOPSTICK", "Sednit EK"} <= {m["name"] for m in malware}
    assert all(m["is_family"] for m in malware)
    # Clusters that repeat their galaxy's uuid get distinct derived ids.
    assert len({m["id"] for m in malware}) == len(malware) == 9
    # The event tags Sofacy and nine malware clusters; MISP states no link between them, so
    # none is made up (no actor-uses-malware cross product): the report lists them all.
    galaxy_ids = {o["id"] for o in objs if o["type"] in {"threat-actor", "malware", "tool"}}
    assert not [
        r
        for r in objs
        if r["type"] == "relationship"
        and r["source_ref"] in galaxy_ids
        and r["target_ref"] in galaxy_ids
    ]
    [report] = _by_type(cands, "report")
    assert galaxy_ids <= set(report["object_refs"])
    tags = report["labels"]
    assert not any(t.startswith("misp-galaxy:mitre-malware") for t in tags)


def test_relations_misp_states_between_event_clusters_become_relationships() -> None:
    event = orjson.loads((DATA / "pymisp" / "existing_event.json").read_bytes())
    found = {c["value"]: c for g in event["Galaxy"] for c in g["GalaxyCluster"]}
    sofacy, jhuhugit, xtunnel = found["Sofacy"], found["JHUHUGIT"], found["XTunnel"]
    # This old export repeats the galaxy uuid on every mitre-malware cluster (no cluster is
    # named by it); JHUHUGIT gets a uuid of its own, as current MISP exports give each one.
    jhuhugit["uuid"] = "8ae43c46-57ef-47d5-a77a-eebb35628db2"
    # Relations as MISP exports them (GalaxyClusterRelation): to a cluster of this event, to
    # one by an ambiguous uuid, to one the event does not carry, and a verb to normalise.
    sofacy["GalaxyClusterRelation"] = [
        {
            "referenced_galaxy_cluster_uuid": jhuhugit["uuid"],
            "referenced_galaxy_cluster_type": "uses",
        },
        {
            "referenced_galaxy_cluster_uuid": xtunnel["uuid"],
            "referenced_galaxy_cluster_type": "uses",
        },
        {
            "referenced_galaxy_cluster_uuid": "a62a8db3-f23a-4d8f-afd6-9dbc77e7813b",
            "referenced_galaxy_cluster_type": "uses",
        },
    ]
    jhuhugit["GalaxyClusterRelation"] = [
        {
            "referenced_galaxy_cluster_uuid": sofacy["uuid"],
            "referenced_galaxy_cluster_type": "Used By",
        }
    ]
    objs = _objects(_convert(event))
    actor = f"threat-actor--{sofacy['uuid']}"
    malware = f"malware--{jhuhugit['uuid']}"
    galaxy_ids = {o["id"] for o in objs if o["type"] in {"threat-actor", "malware", "tool"}}
    rels = {
        (r["source_ref"], r["relationship_type"], r["target_ref"])
        for r in objs
        if r["type"] == "relationship" and {r["source_ref"], r["target_ref"]} & galaxy_ids
    }
    assert rels == {(actor, "uses", malware), (malware, "used-by", actor)}


def test_mitre_clusters_carry_attack_external_ids() -> None:
    cands = _read(DATA / "pymisp" / "galaxy_1.json")
    sets = {o["name"]: o for o in _by_type(cands, "intrusion-set")}
    assert sets["APT1"]["external_references"] == [
        {"source_name": "mitre-attack", "external_id": "G0006"}
    ]
    patterns = {o["name"] for o in _by_type(cands, "attack-pattern")}
    assert "Account Manipulation" in patterns
    rels = _by_type(cands, "relationship")
    verbs = {r["relationship_type"] for r in rels}
    assert {"indicates", "mitigates", "related-to"} <= verbs
    # APT1 and the malware clusters are tagged on the event, not related by it: no "uses".
    assert "uses" not in verbs


def test_attribute_galaxies_relate_the_indicator_with_the_recommended_verb() -> None:
    galaxy = {
        "uuid": "d752161c-78f6-11e7-a0ea-bfa79b407ce4",
        "type": "mitre-malware",
        "GalaxyCluster": [
            {
                "uuid": "7bec698a-7e20-4fd3-bb6a-12787770fb1a",
                "type": "mitre-malware",
                "value": "CHOPSTICK - S0023",
                "tag_name": 'misp-galaxy:mitre-malware="CHOPSTICK - S0023"',
                "meta": {"external_id": ["S0023"], "synonyms": ["Xagent"]},
            }
        ],
    }
    event = _event([_attr("domain", "evil.example", Galaxy=[galaxy])])
    cands = _convert(event)
    [malware] = _by_type(cands, "malware")
    assert malware["id"] == "malware--7bec698a-7e20-4fd3-bb6a-12787770fb1a"
    assert malware["name"] == "CHOPSTICK"
    assert malware["external_references"] == [
        {"source_name": "mitre-attack", "external_id": "S0023"}
    ]
    [rel] = _by_type(cands, "relationship")
    assert rel["relationship_type"] == "indicates"
    assert rel["source_ref"] == "indicator--00000000-0000-4000-8000-000000000000"
    assert rel["target_ref"] == malware["id"]
    assert rel["id"] == deterministic_id(
        "relationship", rel["source_ref"], "indicates", malware["id"]
    )
    positions = {c.data["id"]: c.position for c in cands if c.data}
    assert positions[malware["id"]] == "Event[0].Attribute[0].Galaxy[0].GalaxyCluster[0]"


# --- markings ----------------------------------------------------------------------------------


def test_event_tlp_tags_become_tlp2_markings_on_every_object() -> None:
    cands = _read(DATA / "pymisp" / "57c4445b-c548-4654-af0b-4be3950d210f.json")  # tlp:white
    clear = marking_id_for(Tlp.CLEAR)
    for obj in _objects(cands):
        assert obj["object_marking_refs"] == [clear], obj["id"]
    assert "tlp:white" not in _by_type(cands, "report")[0]["labels"]


def test_attribute_tlp_marks_its_objects_and_the_most_restrictive_wins() -> None:
    red = [{"name": "tlp:red"}]
    event = _event(
        [
            _attr("domain", "a.example", n=1, Tag=red),
            _attr("domain", "b.example", n=2, to_ids=False, Tag=[{"name": "TLP:AMBER+STRICT"}]),
            _attr("domain", "c.example", n=3, Tag=[{"name": "tlp:clear"}, {"name": "apt"}]),
        ],
        Tag=[{"name": "tlp:green"}],
    )
    by_id = {o["id"]: o for o in _objects(_convert(event))}
    assert by_id["indicator--00000000-0000-4000-8000-000000000001"]["object_marking_refs"] == [
        marking_id_for(Tlp.RED)
    ]
    observed = by_id["observed-data--00000000-0000-4000-8000-000000000002"]
    assert observed["object_marking_refs"] == [marking_id_for(Tlp.AMBER_STRICT)]
    assert by_id[observed["object_refs"][0]]["object_marking_refs"] == [
        marking_id_for(Tlp.AMBER_STRICT)
    ]
    third = by_id["indicator--00000000-0000-4000-8000-000000000003"]
    assert third["object_marking_refs"] == [marking_id_for(Tlp.GREEN)]
    assert "apt" in third["labels"]
    assert by_id["report--b5a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"]["object_marking_refs"] == [
        marking_id_for(Tlp.GREEN)
    ]


def test_caller_markings_apply_only_where_no_tlp_tag_does() -> None:
    custom = "marking-definition--3cd55916-d34b-4747-a8e0-dedec14b711b"
    event = _event(
        [
            _attr("domain", "a.example", n=1),
            _attr("domain", "b.example", n=2, Tag=[{"name": "tlp:red"}]),
        ]
    )
    by_id = {o["id"]: o for o in _objects(_convert(event, (custom,)))}
    assert by_id["indicator--00000000-0000-4000-8000-000000000001"]["object_marking_refs"] == [
        custom
    ]
    assert by_id["indicator--00000000-0000-4000-8000-000000000002"]["object_marking_refs"] == [
        marking_id_for(Tlp.RED)
    ]


# --- attribute mapping -------------------------------------------------------------------------

PATTERNS = [
    ("ip-src", "198.51.100.7", "[ipv4-addr:value = '198.51.100.7']"),
    ("ip-dst", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
    ("ip-dst", "203.0.113.0/24", "[ipv4-addr:value = '203.0.113.0/24']"),
    # Composite values: the parts that identify on their own, the rest in the description.
    ("ip-dst|port", "203.0.113.9|443", "[ipv4-addr:value = '203.0.113.9']"),
    ("ip-src|port", "2001:db8::2|8080", "[ipv6-addr:value = '2001:db8::2']"),
    ("domain", "evil.example", "[domain-name:value = 'evil.example']"),
    ("hostname", "www.evil.example", "[domain-name:value = 'www.evil.example']"),
    (
        "domain|ip",
        "circl.lu|149.13.33.14",
        "[domain-name:value = 'circl.lu'] OR [ipv4-addr:value = '149.13.33.14']",
    ),
    ("url", "http://x.example/a?b='c'", "[url:value = 'http://x.example/a?b=\\'c\\'']"),
    ("uri", "/gate.php", "[url:value = '/gate.php']"),
    ("link", "https://blog.example/post", "[url:value = 'https://blog.example/post']"),
    ("email", "a@b.example", "[email-addr:value = 'a@b.example']"),
    ("email-src", "a@b.example", "[email-addr:value = 'a@b.example']"),
    ("email-dst", "c@d.example", "[email-addr:value = 'c@d.example']"),
    ("email-subject", "Invoice 'urgent'", "[email-message:subject = 'Invoice \\'urgent\\'']"),
    (
        "md5",
        "0749BAE92CA336A02C83D126E04EC628",
        "[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']",
    ),
    (
        "sha1",
        "77b0c41b7d340b8a3d903f21347bbf06aa766b5b",
        "[file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']",
    ),
    ("sha256", "b" * 64, f"[file:hashes.'SHA-256' = '{'b' * 64}']"),
    ("sha512", "c" * 128, f"[file:hashes.'SHA-512' = '{'c' * 128}']"),
    (
        "ssdeep",
        "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO",
        "[file:hashes.SSDEEP = '96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:"
        "sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO']",
    ),
    ("filename", "C:\\Users\\x\\a.exe", "[file:name = 'C:\\\\Users\\\\x\\\\a.exe']"),
    (
        "filename|md5",
        "a.exe|0749bae92ca336a02c83d126e04ec628",
        "[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']",
    ),
    (
        "filename|sha256",
        "a|b.exe|" + "d" * 64,
        f"[file:hashes.'SHA-256' = '{'d' * 64}']",
    ),
    ("mutex", "Global\\m", "[mutex:name = 'Global\\\\m']"),
    ("regkey", "HKLM\\Software\\Run", "[windows-registry-key:key = 'HKLM\\\\Software\\\\Run']"),
    (
        "regkey|value",
        "HKLM\\Run|evil.exe",
        "[windows-registry-key:key = 'HKLM\\\\Run' AND "
        "windows-registry-key:values[*].data = 'evil.exe']",
    ),
    (
        "user-agent",
        "Mozilla/5.0 (evil)",
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
        "'Mozilla/5.0 (evil)']",
    ),
    ("AS", "AS174", "[autonomous-system:number = 174]"),
    ("mac-address", "00-1A-2B-3C-4D-5E", "[mac-addr:value = '00:1a:2b:3c:4d:5e']"),
    (
        "x509-fingerprint-sha1",
        "46aba99aa7158e4609aaa72b50990842fd22ae86",
        "[x509-certificate:hashes.'SHA-1' = '46aba99aa7158e4609aaa72b50990842fd22ae86']",
    ),
    ("port", "8443", "[network-traffic:dst_port = 8443]"),
    # No STIX 2.1 SCO or property: custom object types (§11.1) and properties (§11.2).
    (
        "btc",
        "1GCaWA685Nj2PqqG7P2ZBACYZB8ZtpQuQ9",
        "[x-crypto-wallet:value = '1GCaWA685Nj2PqqG7P2ZBACYZB8ZtpQuQ9']",
    ),
    (
        "btc",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "[x-crypto-wallet:value = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']",
    ),
    (
        "pehash",
        "FFB7A38174AAB4744CC4A509E34800AEE9BE8E57",
        "[file:hashes.x_pehash = 'ffb7a38174aab4744cc4a509e34800aee9be8e57']",
    ),
    ("pdb", "Q:\\Br2012\\svc.pdb", "[file:x_pdb_path = 'Q:\\\\Br2012\\\\svc.pdb']"),
    (
        "ja3-fingerprint-md5",
        "E7D705A3286E19EA42F587B344EE6865",
        "[x-ja3:value = 'e7d705a3286e19ea42f587b344ee6865']",
    ),
]
# Not to_ids, these have no SCO that validates: they become notes on the report.
CUSTOM_TYPES = frozenset({"btc", "pehash", "pdb", "ja3-fingerprint-md5"})


@pytest.mark.parametrize(
    ("kind", "value", "pattern"), PATTERNS, ids=[p[0] + str(i) for i, p in enumerate(PATTERNS)]
)
def test_to_ids_attributes_become_indicators_with_correct_patterns(
    kind: str, value: str, pattern: str
) -> None:
    cands = _convert(_event([_attr(kind, value, first_seen="2020-10-01T00:00:00.123456+00:00")]))
    [indicator] = _by_type(cands, "indicator")
    assert indicator["pattern"] == pattern
    assert run_validator(indicator["pattern"], "2.1") == []
    assert indicator["pattern_type"] == "stix"
    assert indicator["valid_from"] == "2020-10-01T00:00:00.123Z"
    assert indicator["id"] == "indicator--00000000-0000-4000-8000-000000000000"
    assert indicator["created"] == indicator["modified"] == "2020-10-25T16:22:00.000Z"


@pytest.mark.parametrize(
    ("kind", "value", "description"),
    [
        ("ip-dst|port", "203.0.113.9|443", "C2; destination port 443"),
        ("ip-src|port", "2001:db8::2|8080", "C2; source port 8080"),
        ("hostname|port", "c2.example|8443", "C2; port 8443"),
        ("filename|md5", "a.exe|0749bae92ca336a02c83d126e04ec628", "C2; file name a.exe"),
        ("domain|ip", "circl.lu|149.13.33.14", "C2"),
        ("email-src", "a@b.example", "C2; e-mail sender"),
    ],
)
def test_composite_attributes_deploy_their_values_and_keep_the_rest_as_context(
    kind: str, value: str, description: str
) -> None:
    [indicator] = _by_type(_convert(_event([_attr(kind, value, comment="C2")])), "indicator")
    assert indicator["description"] == description
    verdict = compile_pattern(indicator["pattern"])
    assert verdict.deployable, verdict.reason


@pytest.mark.parametrize(
    ("kind", "value", "_pattern"),
    [p for p in PATTERNS if p[0] not in {"port", "user-agent", *CUSTOM_TYPES}],
)
def test_other_attributes_become_observed_data_with_deterministic_scos(
    kind: str, value: str, _pattern: str
) -> None:
    cands = _convert(_event([_attr(kind, value, to_ids=False)]))
    assert _by_type(cands, "indicator") == []
    [observed] = _by_type(cands, "observed-data")
    produced = {o["id"] for o in _objects(cands)}
    assert observed["object_refs"] and set(observed["object_refs"]) <= produced
    assert observed["first_observed"] <= observed["last_observed"]


def test_long_event_carries_its_yara_snort_pehash_and_pdb_attributes() -> None:
    cands = _read(DATA / "pymisp" / "long_event.json")
    assert [c.error for c in cands if c.error is not None] == []  # pdb, yara, ... were errors
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for obj in _objects(cands):
        for label in obj.get("labels", []):
            by_type.setdefault(label, []).append(obj)
    [yara] = by_type['misp:type="yara"']
    assert yara["type"] == "indicator" and yara["pattern_type"] == "yara"
    assert yara["name"] == "kivars_service" and yara["pattern"].startswith("rule kivars_service {")
    assert "pattern_version" not in yara
    [snort] = by_type['misp:type="snort"']
    assert snort["pattern_type"] == "snort"
    assert snort["name"] == "NF - APT LURK0 C&C Domain - www.amerikauyghur.top"
    [pehash] = by_type['misp:type="pehash"']
    assert (
        pehash["pattern"] == "[file:hashes.x_pehash = 'ffb7a38174aab4744cc4a509e34800aee9be8e57']"
    )
    pdbs = by_type['misp:type="pdb"']  # not to_ids: notes on the report, the path verbatim
    assert {o["type"] for o in pdbs} == {"note"}
    assert "Q:\\Projects\\Br2012\\Release\\svc.pdb" in {o["content"] for o in pdbs}
    assert all(o["object_refs"] == ["report--57153590-f73c-49fa-be4b-4737950d210f"] for o in pdbs)


@pytest.mark.parametrize(
    ("kind", "value", "_pattern"), [p for p in PATTERNS if p[0] in CUSTOM_TYPES]
)
def test_custom_types_not_to_ids_become_notes_on_the_report(
    kind: str, value: str, _pattern: str
) -> None:
    cands = _convert(_event([_attr(kind, value, to_ids=False, comment="seen")]))
    [note] = _by_type(cands, "note")
    assert note["content"] == value and note["abstract"] == "seen"
    assert note["object_refs"] == ["report--b5a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"]
    assert f'misp:type="{kind}"' in note["labels"]


@pytest.mark.parametrize("to_ids", [True, False])
def test_a_yara_rule_is_an_indicator_whatever_its_to_ids(to_ids: bool) -> None:
    rule = 'rule eicar { strings: $a = "EICAR" condition: $a }'
    cands = _convert(_event([_attr("yara", rule, to_ids=to_ids)]))
    [indicator] = _by_type(cands, "indicator")
    assert (indicator["pattern"], indicator["pattern_type"]) == (rule, "yara")
    assert indicator["name"] == "eicar"


def test_sco_ids_use_the_id_contributing_properties() -> None:
    stix2 = pytest.importorskip("stix2")
    cands = _convert(_event([_attr("filename|md5", "a.exe|" + "e" * 32, to_ids=False)]))
    [file] = _by_type(cands, "file")
    expected = stix2.File(name="a.exe", hashes={"MD5": "e" * 32}).id
    assert file["id"] == expected


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("hassh-md5", "ec7378c1a92f5a8dde7e8b7a1ddf33d1", "HASSH"),
        ("ja3-fingerprint-md5", "e7d705a3286e19ea42f587b344ee686", "32-hex-digit"),
        ("btc", "not-a-wallet", "not a Bitcoin address"),
        ("pehash", "xyz", "40-hex-digit"),
        ("md5", "not-a-hash", "32-hex-digit"),
        ("ip-dst", "999.1.1.1", "not an IP address"),
        ("ip-dst|port", "1.2.3.4|99999", "port"),
        ("x-made-up", "whatever", "not mapped"),
    ],
)
def test_an_unconvertible_to_ids_attribute_yields_an_error_candidate(
    kind: str, value: str, reason: str
) -> None:
    event = _event([_attr("domain", "ok.example", n=1), _attr(kind, value, n=2)])
    cands = _convert(event)
    [error] = [c for c in cands if c.error is not None]
    assert error.position == "Event[0].Attribute[1]"
    assert error.data is None and error.error is not None
    assert reason in error.error and kind in error.error
    assert len(_by_type(cands, "indicator")) == 1


def test_read_misp_accepts_every_export_shape() -> None:
    event = _event([_attr("domain", "evil.example")])
    shapes = [
        {"Event": event},
        event,
        {"response": [{"Event": event}]},
        [{"Event": event}],
        [event],
    ]
    expected = [(c.position, c.data) for c in _convert(event)]
    for shape in shapes:
        got = [(c.position, c.data) for c in read_misp(orjson.dumps(shape), source="t")]
        assert got == expected, shape
    two = [(c.position) for c in read_misp(orjson.dumps([event, {"Event": event}]), source="t")]
    assert two[-1] == "Event[1]"


def test_loose_attribute_collections_convert_without_org_or_report() -> None:
    cands = _read(DATA / "misp-stix" / "test_attributes_collection_1.json")
    assert [c.position for c in cands if c.data and c.data["type"] == "indicator"] == [
        "Attribute[1]"
    ]
    assert _by_type(cands, "report") == []
    assert all("created_by_ref" not in o for o in _objects(cands))


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"", b'"just a string"', b"[1, 2]"],
)
def test_a_malformed_document_raises_malformed_document(data: bytes) -> None:
    with pytest.raises(MalformedDocument):
        list(read_misp(data, source="bad.json"))


def test_a_sighting_is_not_a_misp_event() -> None:
    with pytest.raises(MalformedDocument, match="not a MISP export"):
        _read(DATA / "pymisp" / "sighting.json")


def test_an_event_without_any_time_yields_an_error_candidate() -> None:
    event = _event([_attr("domain", "a.example")])
    for key in ("timestamp", "publish_timestamp", "date"):
        del event[key]
    [cand] = _convert(event)
    assert cand.data is None and cand.error is not None and cand.position == "Event[0]"


def test_org_without_uuid_gets_a_name_derived_identity() -> None:
    event = _event([_attr("domain", "a.example")], Orgc={"name": "No UUID Org"})
    [identity] = _by_type(_convert(event), "identity")
    assert identity["id"] == deterministic_id("identity", "misp-org", "No UUID Org")


def test_input_is_not_mutated() -> None:
    event = _event([_attr("domain", "a.example", Tag=[{"name": "tlp:red"}])])
    before = copy.deepcopy(event)
    _convert(event)
    assert event == before


def test_is_misp_document_sniffs_misp_but_not_stix() -> None:
    for path in [*SAMPLES]:
        assert is_misp_document(path.read_bytes()[:4096]), path.name
    assert not is_misp_document(b'{"type": "bundle", "id": "bundle--1", "objects": []}')
    assert not is_misp_document(b'{"type":"indicator","spec_version":"2.1"}')
    assert not is_misp_document(b"ts,uid\n1,2\n")
    assert is_misp_document(b'\xef\xbb\xbf  {"Event": {"info": "x"')


def test_an_empty_event_without_org_yields_an_error_not_a_dangling_report() -> None:
    event = _event([])
    del event["Orgc"]
    [cand] = _convert(event)
    assert cand.data is None and cand.error == "MISP event has nothing to report"


# Found through the fuzz targets (tests/fuzz/targets.py): an Attribute or Object member that
# is not a list raised TypeError out of the reader; a malformed member is now one failed
# candidate with its position, and the valid rest of the document still converts.
@pytest.mark.parametrize("key", ["Attribute", "Object"])
@pytest.mark.parametrize("value", [5, True, "ip-dst", {"type": "ip-dst"}])
def test_event_member_that_is_not_a_list_is_one_failure(key: str, value: Any) -> None:
    event = _event([_attr("ip-dst", "198.51.100.7")])
    event[key] = value
    if key == "Object":
        event["Attribute"] = [_attr("ip-dst", "198.51.100.7")]
    cands = _convert(event)
    failures = [(c.position, c.error) for c in cands if c.data is None]
    assert (f"Event[0].{key}", f"{key} is not a JSON array") in failures
    assert not [p for p, _ in failures if p.startswith(f"Event[0].{key}[")]
    if key == "Object":
        assert _by_type(cands, "indicator")


@pytest.mark.parametrize(
    "document",
    [
        {"Attribute": [], "Object": 5},
        {"Attribute": 5, "Object": []},
        {"Attribute": "1.2.3.4", "Object": [{"name": "x", "Attribute": []}]},
    ],
)
def test_loose_collection_member_that_is_not_a_list_is_one_failure(
    document: dict[str, Any],
) -> None:
    cands = list(read_misp(orjson.dumps(document), source="t"))
    failures = [c for c in cands if c.data is None]
    assert len(failures) >= 1
    assert any(c.error is not None and "is not a JSON array" in c.error for c in failures)
