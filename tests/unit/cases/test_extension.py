"""The STIX form of a case: valid STIX 2.1, valid against the shipped schema, and a round trip."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.cases import (
    CASE_CONTEXT,
    EXTENSION_ID,
    EXTENSION_SCHEMA,
    Case,
    CaseType,
    Note,
    Resolution,
    Stage,
    Task,
    extension_definition,
    is_case,
    parse_case,
    render_case,
    render_incident,
)
from entente.errors import InvalidObject
from entente.stix import deterministic_id, parse_object

ORG = "identity--00000000-0000-4000-8000-00000000000a"
T0 = 1_700_000_000_000_000
ids = st.uuids(version=4).map(str)
times = st.integers(min_value=0, max_value=4_000_000_000_000_000)
words = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=20)
tasks = st.lists(
    st.builds(
        Task,
        id=st.just(""),
        title=words,
        owner=st.none() | words,
        due_us=st.none() | times,
        done_us=st.none() | times,
        result=st.none() | words,
    ),
    max_size=4,
).map(lambda ts: tuple(Task(f"task-{i}", *_rest(t)) for i, t in enumerate(ts, start=1)))
notes = st.lists(st.tuples(words, words, times), max_size=3).map(
    lambda ns: tuple(Note(f"note-{i}", *n) for i, n in enumerate(ns, start=1))
)


def _rest(task: Task) -> tuple[str, str | None, int | None, int | None, str | None]:
    return (task.title, task.owner, task.due_us, task.done_us, task.result)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    created = draw(times)
    refs = draw(st.lists(ids.map(lambda u: f"indicator--{u}"), max_size=3, unique=True))
    sightings = draw(st.lists(ids.map(lambda u: f"sighting--{u}"), max_size=3, unique=True))
    merged_from = draw(st.lists(ids.map(lambda u: f"grouping--{u}"), max_size=2, unique=True))
    return Case(
        id=f"grouping--{draw(ids)}",
        incident_id=f"incident--{draw(ids)}",
        name=draw(words),
        case_type=draw(st.sampled_from(CaseType)),
        stage=draw(st.sampled_from(Stage)),
        status=draw(words),
        created_us=created,
        modified_us=created + draw(st.integers(0, 10**12)),
        description=draw(st.just("") | words),
        resolution=draw(st.none() | st.sampled_from(Resolution)),
        tasks=draw(tasks),
        notes=draw(notes),
        refs=tuple(refs + sightings),
        attached=tuple(sightings),
        merged_into=draw(st.none() | ids.map(lambda u: f"grouping--{u}")),
        merged_from=tuple(merged_from),
    )


@settings(max_examples=150)
@given(case=cases())
def test_a_case_round_trips_through_valid_stix_that_the_shipped_schema_accepts(case: Case) -> None:
    grouping = render_case(case, created_by_ref=ORG)
    parse_object(grouping)
    parse_object(render_incident(case, created_by_ref=ORG))
    jsonschema.validate(grouping["extensions"][EXTENSION_ID], EXTENSION_SCHEMA)
    assert is_case(grouping)
    assert parse_case(grouping) == case
    assert grouping["context"] == CASE_CONTEXT
    assert grouping["object_refs"][0] == case.incident_id


def test_the_extension_definition_is_valid_stix_with_a_deterministic_id() -> None:
    definition = extension_definition()
    parse_object(definition)
    assert definition["id"] == EXTENSION_ID
    assert deterministic_id("extension-definition", "entente case extension", "1.0") == EXTENSION_ID
    assert definition["extension_types"] == ["property-extension"]


def test_the_shipped_schema_file_is_the_schema_the_code_states() -> None:
    shipped = resources.files("entente.cases").joinpath("case-extension.json").read_text()
    assert json.loads(shipped) == EXTENSION_SCHEMA
    jsonschema.Draft202012Validator.check_schema(EXTENSION_SCHEMA)


def test_a_grouping_without_the_extension_is_not_a_case() -> None:
    plain = {
        "type": "grouping",
        "id": "grouping--00000000-0000-4000-8000-000000000001",
        "context": "unspecified",
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000001"],
    }
    assert not is_case(plain)
    with pytest.raises(InvalidObject, match="Entente case extension"):
        parse_case(plain)


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("stage", "done", "stage"),
        ("case_type", "picnic", "case_type"),
        ("tasks", [{"task_id": "task-1"}], "tasks[0].title"),
        ("attached_refs", ["nope"], "attached_refs[0]"),
    ],
)
def test_a_malformed_extension_is_refused_naming_the_field(
    field: str, value: object, where: str
) -> None:
    case = Case(
        id="grouping--00000000-0000-4000-8000-000000000001",
        incident_id="incident--00000000-0000-4000-8000-000000000001",
        name="x",
        case_type=CaseType.INCIDENT,
        stage=Stage.NEW,
        status="new",
        created_us=T0,
        modified_us=T0,
    )
    grouping = render_case(case, created_by_ref=ORG)
    grouping["extensions"][EXTENSION_ID][field] = value
    with pytest.raises(InvalidObject) as caught:
        parse_case(grouping)
    assert caught.value.field.endswith(where)
