"""Sharing agreements as data: the parser, its JSON Schema and the model (architecture §2)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.errors import InvalidInput
from entente.sharing import (
    Agreement,
    InvalidAgreement,
    OnwardSharing,
    SightingsSharing,
    agreement_schema,
    parse_agreement,
)
from entente.stix import Tlp

US = "identity--0d1e2f30-0000-4000-8000-000000000001"
IL = "identity--0d1e2f30-0000-4000-8000-000000000002"
NL = "identity--0d1e2f30-0000-4000-8000-000000000003"
NAMES = {"US CERT": US, "IL CERT": IL, "NL CERT": NL}
JAN_2026 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in epoch microseconds
JAN_2027 = 1_798_761_600_000_000


def org_id(name: str) -> str:
    """A stand-in for the node's org-name derivation (services.tokens.org_identity_id)."""
    return NAMES.get(name) or f"identity--{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def parse(doc: Any) -> Agreement:
    return parse_agreement(doc, org_id=org_id)


EXAMPLE: dict[str, Any] = {
    "id": "us-il-cert-bilateral",
    "name": "US CERT and IL CERT: bilateral AMBER",
    "parties": ["US CERT", IL],
    "max_tlp": "amber",
    "object_types": ["indicator", "malware", "sighting"],
    "onward_sharing": "none",
    "redact": {"incident": ["x_victim_name"], "*": ["x_internal_notes"]},
    "sightings": "anonymised",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_until": "2027-01-01T00:00:00Z",
}
MINIMAL: dict[str, Any] = {
    "id": "a",
    "name": "minimal",
    "parties": [US, IL],
    "max_tlp": "clear",
    "onward_sharing": "coalition",
}


def doc(base: dict[str, Any] = EXAMPLE, **changes: Any) -> dict[str, Any]:
    """``base`` with keys changed; a value of ``...`` removes the key."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


VALIDATOR = jsonschema.Draft202012Validator(agreement_schema())


def schema_accepts(document: Any) -> bool:
    return bool(VALIDATOR.is_valid(document))


def test_the_documented_example_parses() -> None:
    agreement = parse(EXAMPLE)
    assert agreement == Agreement(
        id="us-il-cert-bilateral",
        name="US CERT and IL CERT: bilateral AMBER",
        parties=frozenset({US, IL}),
        max_tlp=Tlp.AMBER,
        object_types=frozenset({"indicator", "malware", "sighting"}),
        onward=OnwardSharing.NONE,
        onward_orgs=frozenset(),
        redact={"*": ("x_internal_notes",), "incident": ("x_victim_name",)},
        sightings=SightingsSharing.ANONYMISED,
        valid_from_us=JAN_2026,
        valid_until_us=JAN_2027,
    )


def test_optional_keys_default_to_every_type_nothing_redacted_named_sightings_no_dates() -> None:
    agreement = parse(MINIMAL)
    assert agreement.object_types is None
    assert dict(agreement.redact) == {}
    assert agreement.sightings is SightingsSharing.NAMED
    assert agreement.valid_from_us is None
    assert agreement.valid_until_us is None
    assert agreement.onward is OnwardSharing.COALITION
    assert agreement.onward_orgs == frozenset()


def test_named_onward_sharing_maps_names_and_ids_to_org_ids() -> None:
    agreement = parse(doc(onward_sharing={"named": ["NL CERT", US]}))
    assert agreement.onward is OnwardSharing.NAMED
    assert agreement.onward_orgs == frozenset({NL, US})


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("clear", Tlp.CLEAR),
        ("GREEN", Tlp.GREEN),
        ("TLP:AMBER", Tlp.AMBER),
        ("tlp:Amber+Strict", Tlp.AMBER_STRICT),
        ("amber+strict", Tlp.AMBER_STRICT),
    ],
)
def test_max_tlp_is_case_insensitive_with_an_optional_tlp_prefix(text: str, level: Tlp) -> None:
    assert parse(doc(max_tlp=text)).max_tlp is level
    assert schema_accepts(doc(max_tlp=text))


@pytest.mark.parametrize("red", ["red", "TLP:RED"])
def test_max_tlp_red_is_rejected_because_red_never_leaves_by_sync(red: str) -> None:
    with pytest.raises(InvalidAgreement, match=r"^max_tlp: TLP:RED never leaves the node by sync"):
        parse(doc(max_tlp=red))
    assert not schema_accepts(doc(max_tlp=red))


def test_unknown_top_level_keys_are_rejected_with_a_suggestion() -> None:
    with pytest.raises(InvalidAgreement, match="did you mean 'onward_sharing'") as caught:
        parse(doc(onward_sharng="coalition"))
    assert caught.value.field == "onward_sharng"
    assert caught.value.object_id == "us-il-cert-bilateral"
    assert not schema_accepts(doc(onward_sharng="coalition"))


@pytest.mark.parametrize(
    "name",
    [
        "id",
        "type",
        "spec_version",
        "created",
        "modified",
        "object_marking_refs",
        "granular_markings",
    ],
)
def test_properties_that_keep_an_object_valid_or_marked_may_never_be_redacted(name: str) -> None:
    with pytest.raises(InvalidAgreement, match="may never be redacted") as caught:
        parse(doc(redact={"incident": [name]}))
    assert caught.value.field == "redact.incident[0]"
    assert not schema_accepts(doc(redact={"incident": [name]}))


def test_an_org_named_twice_under_two_spellings_is_rejected() -> None:
    with pytest.raises(
        InvalidAgreement, match=r"^parties\[1\]: names the same org as parties\[0\]"
    ):
        parse(doc(parties=["US CERT", US]))


def test_org_id_failures_are_reported_at_the_party() -> None:
    def refuse(name: str) -> str:
        raise InvalidInput(f"no org called {name!r}")

    with pytest.raises(InvalidAgreement, match=r"^parties\[0\]: no org called 'Nobody'"):
        parse_agreement(doc(parties=["Nobody", IL]), org_id=refuse)


def test_valid_until_must_be_after_valid_from() -> None:
    for until in ("2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z"):
        with pytest.raises(InvalidAgreement, match=r"^valid_until: must be after valid_from"):
            parse(doc(valid_until=until))


def test_a_timestamp_yaml_decoded_as_a_date_asks_for_quotes() -> None:
    decoded = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidAgreement, match=r"^valid_from: must be an RFC 3339 timestamp in"):
        parse(doc(valid_from=decoded))


def test_a_date_that_does_not_exist_is_rejected_by_the_parser() -> None:
    # The schema checks the shape only; the parser checks the calendar (STIX 2.1 §3.2).
    with pytest.raises(InvalidAgreement, match=r"^valid_from: .*2026-02 has 28 days"):
        parse(doc(valid_from="2026-02-30T00:00:00Z"))


def test_errors_are_invalid_input_carrying_field_and_agreement_id() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(doc(parties=[US, 7]))
    error = caught.value
    assert isinstance(error, InvalidAgreement)
    assert error.field == "parties[1]"
    assert error.object_id == "us-il-cert-bilateral"
    assert str(error) == "parties[1]: must be a string, not int"


# (document, location): rejected by parse_agreement (with that location) and by the schema.
INVALID: list[tuple[Any, str]] = [
    (["not", "a", "mapping"], ""),
    (doc(id=...), "id"),
    (doc(name=...), "name"),
    (doc(parties=...), "parties"),
    (doc(max_tlp=...), "max_tlp"),
    (doc(onward_sharing=...), "onward_sharing"),
    (doc(id="Has Spaces"), "id"),
    (doc(id="-leading-dash"), "id"),
    (doc(id="x" * 101), "id"),
    (doc(id=7), "id"),
    (doc(name=""), "name"),
    (doc(name="   "), "name"),
    (doc(parties=[US]), "parties"),
    (doc(parties=[]), "parties"),
    (doc(parties="US CERT"), "parties"),
    (doc(parties=[US, US]), "parties[1]"),
    (doc(parties=[US, "identity--not-a-uuid"]), "parties[1]"),
    (doc(parties=[US, ""]), "parties[1]"),
    (doc(parties=[US, None]), "parties[1]"),
    (doc(max_tlp="white"), "max_tlp"),
    (doc(max_tlp="amber strict"), "max_tlp"),
    (doc(max_tlp=2), "max_tlp"),
    (doc(object_types=[]), "object_types"),
    (doc(object_types=None), "object_types"),
    (doc(object_types="indicator"), "object_types"),
    (doc(object_types=["indicator", "Indicator"]), "object_types[1]"),
    (doc(object_types=["ip"]), "object_types[0]"),
    (doc(object_types=["indicator", "indicator"]), "object_types[1]"),
    (doc(onward_sharing="named"), "onward_sharing"),
    (doc(onward_sharing="all"), "onward_sharing"),
    (doc(onward_sharing=None), "onward_sharing"),
    (doc(onward_sharing={"named": []}), "onward_sharing.named"),
    (doc(onward_sharing={}), "onward_sharing.named"),
    (doc(onward_sharing={"named": [US], "also": [IL]}), "onward_sharing.also"),
    (doc(onward_sharing={"named": [US, "identity--x"]}), "onward_sharing.named[1]"),
    (doc(redact=["x_victim_name"]), "redact"),
    (doc(redact={"Incident": ["x_victim_name"]}), "redact.Incident"),
    (doc(redact={"incident": []}), "redact.incident"),
    (doc(redact={"incident": None}), "redact.incident"),
    (doc(redact={"incident": ["x_victim_name", "x_victim_name"]}), "redact.incident[1]"),
    (doc(redact={"*": ["ok_name", "Bad-Name"]}), "redact.*[1]"),
    (doc(redact={"*": ["x"]}), "redact.*[0]"),
    (doc(redact={"incident": ["id"]}), "redact.incident[0]"),
    (doc(sightings="anonymized"), "sightings"),
    (doc(sightings=None), "sightings"),
    (doc(valid_from="2026-01-01"), "valid_from"),
    (doc(valid_from="2026-01-01T00:00:00+02:00"), "valid_from"),
    (doc(valid_until="tomorrow"), "valid_until"),
    (doc(valid_until=None), "valid_until"),
    (doc(object_type=["indicator"]), "object_type"),
]


@pytest.mark.parametrize(("document", "location"), INVALID)
def test_invalid_documents_are_rejected_by_parser_and_schema(document: Any, location: str) -> None:
    with pytest.raises(InvalidAgreement) as caught:
        parse(document)
    assert caught.value.field == location
    assert str(caught.value).startswith(f"{location}: " if location else "")
    assert not schema_accepts(document)


VALID: list[dict[str, Any]] = [
    EXAMPLE,
    MINIMAL,
    doc(MINIMAL, parties=["US CERT", "IL CERT", "NL CERT"], onward_sharing="none"),
    doc(onward_sharing={"named": ["NL CERT"]}, sightings="none", redact=...),
    doc(object_types=..., max_tlp="TLP:AMBER+STRICT", valid_from=..., valid_until=...),
    doc(valid_from="2026-01-01T00:00:00.123456789Z", valid_until=...),
    doc(id="x" * 100, name="n", redact={"*": ["x_notes"], "x-custom-type": ["abc"]}),
    doc(parties=[US.upper().replace("IDENTITY", "identity"), IL]),
]


@pytest.mark.parametrize("document", VALID)
def test_valid_documents_are_accepted_by_parser_and_schema(document: dict[str, Any]) -> None:
    assert schema_accepts(document), list(VALIDATOR.iter_errors(document))
    agreement = parse(document)
    assert parse(agreement.to_json()) == agreement
    assert schema_accepts(agreement.to_json())


def test_the_schema_is_valid_draft_2020_12_package_data() -> None:
    schema = agreement_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    # A fresh dict each time: callers may not corrupt each other's copy.
    schema["title"] = "changed"
    assert agreement_schema()["title"] != "changed"


def test_in_force_from_inclusive_until_exclusive() -> None:
    agreement = parse(EXAMPLE)
    assert not agreement.in_force(JAN_2026 - 1)
    assert agreement.in_force(JAN_2026)
    assert agreement.in_force(JAN_2027 - 1)
    assert not agreement.in_force(JAN_2027)
    assert parse(MINIMAL).in_force(0)


def test_binds_two_different_parties_only() -> None:
    agreement = parse(EXAMPLE)
    assert agreement.binds(US, IL)
    assert agreement.binds(IL, US)
    assert not agreement.binds(US, US)
    assert not agreement.binds(US, NL)


def test_the_model_refuses_what_the_parser_refuses() -> None:
    good = parse(EXAMPLE)
    with pytest.raises(InvalidAgreement, match=r"^max_tlp: TLP:RED"):
        dataclasses.replace(good, max_tlp=Tlp.RED)
    with pytest.raises(InvalidAgreement, match=r"^parties: "):
        dataclasses.replace(good, parties=frozenset({US}))
    with pytest.raises(InvalidAgreement, match=r"^onward_sharing: "):
        dataclasses.replace(good, onward=OnwardSharing.NAMED)
    with pytest.raises(InvalidAgreement, match=r"^onward_sharing: "):
        dataclasses.replace(good, onward_orgs=frozenset({NL}))
    with pytest.raises(InvalidAgreement, match=r"^redact\.\*: 'type' may never be redacted"):
        dataclasses.replace(good, redact={"*": ("type",)})
    with pytest.raises(InvalidAgreement, match=r"^valid_until: "):
        dataclasses.replace(good, valid_until_us=JAN_2026)
    with pytest.raises(InvalidAgreement, match=r"^object_types: "):
        dataclasses.replace(good, object_types=frozenset())


def test_agreements_are_frozen_hashable_values_with_a_read_only_redact() -> None:
    agreement = parse(EXAMPLE)
    assert hash(agreement) == hash(parse(EXAMPLE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        agreement.max_tlp = Tlp.CLEAR  # type: ignore[misc]  # asserting the runtime refusal
    with pytest.raises(TypeError):
        agreement.redact["indicator"] = ("x_new",)  # type: ignore[index]  # read-only mapping


def test_to_json_is_the_canonical_document() -> None:
    assert parse(EXAMPLE).to_json() == {
        "id": "us-il-cert-bilateral",
        "name": "US CERT and IL CERT: bilateral AMBER",
        "parties": sorted([US, IL]),
        "max_tlp": "amber",
        "object_types": ["indicator", "malware", "sighting"],
        "onward_sharing": "none",
        "redact": {"*": ["x_internal_notes"], "incident": ["x_victim_name"]},
        "sightings": "anonymised",
        "valid_from": "2026-01-01T00:00:00.000000Z",
        "valid_until": "2027-01-01T00:00:00.000000Z",
    }
    assert parse(doc(max_tlp="TLP:Amber+Strict")).to_json()["max_tlp"] == "amber+strict"


ORG_IDS = [US, IL, NL, "identity--0d1e2f30-0000-4000-8000-000000000004"]
TYPE_NAMES = ["indicator", "sighting", "malware", "incident", "x-custom-thing"]
PROPERTY_NAMES = ["x_victim_name", "x_internal_notes", "description", "labels", "created_by_ref"]
# 1900-01-01 .. 2200-01-01 in epoch microseconds.
INSTANTS = st.integers(-2_208_988_800_000_000, 7_258_118_400_000_000)


@st.composite
def agreements(draw: st.DrawFn) -> Agreement:
    """Any valid agreement over a few orgs, types and properties."""
    onward = draw(st.sampled_from(list(OnwardSharing)))
    start = draw(st.none() | INSTANTS)
    end = draw(st.none() | INSTANTS)
    if start is not None and end is not None and end <= start:
        end = start + 1 + (start - end)
    return Agreement(
        id=draw(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)),
        name=draw(st.text(min_size=1).filter(str.strip)),
        parties=draw(st.frozensets(st.sampled_from(ORG_IDS), min_size=2)),
        max_tlp=draw(st.sampled_from([t for t in Tlp if t is not Tlp.RED])),
        object_types=draw(st.none() | st.frozensets(st.sampled_from(TYPE_NAMES), min_size=1)),
        onward=onward,
        onward_orgs=draw(st.frozensets(st.sampled_from(ORG_IDS), min_size=1))
        if onward is OnwardSharing.NAMED
        else frozenset(),
        redact=draw(
            st.dictionaries(
                st.sampled_from(["*", *TYPE_NAMES]),
                st.lists(st.sampled_from(PROPERTY_NAMES), min_size=1, unique=True).map(
                    lambda names: tuple(sorted(names))
                ),
            )
        ),
        sightings=draw(st.sampled_from(list(SightingsSharing))),
        valid_from_us=start,
        valid_until_us=end,
    )


@given(agreements())
def test_to_json_round_trips_and_validates_against_the_schema(agreement: Agreement) -> None:
    document = agreement.to_json()
    assert schema_accepts(document), list(VALIDATOR.iter_errors(document))
    assert parse(document) == agreement
