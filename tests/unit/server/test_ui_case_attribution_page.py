"""A case's attribution page over the real app, a SQLite node holding the real ATT&CK for ICS
release: the hypotheses it ranks, the ACH form that stores an ``attributed-to`` relationship
with the case, and every mistake or refusal a 4xx page that stores nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.factories import CLEAR, ident, new_version, stix
from tests.unit.server.ui_sessions import FEED, UiNode, ui_node
from tests.unit.server.ui_users import assert_page_rules
from tests.unit.services.test_attack_matrix_service import ICS, ingest_file

from entente.attribution import parse_matrix
from entente.bootstrap import cases
from entente.cases import CaseType
from entente.errors import InvalidInput
from entente.server.ui.case_attribution_page import parse_ach_form
from entente.services import node_org_id
from entente.stix import Tlp

SANDWORM = "intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192"
CREW = ident(2, "intrusion-set")
HIDDEN = ident(3, "intrusion-set")
INDICATOR = ident(4, "indicator")
AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"


def _sandworm_techniques() -> list[str]:
    release = json.loads(ICS.read_text())["objects"]
    return sorted(
        o["target_ref"]
        for o in release
        if o.get("type") == "relationship"
        and o.get("relationship_type") == "uses"
        and o.get("source_ref") == SANDWORM
        and str(o.get("target_ref")).startswith("attack-pattern--")
        and not o.get("revoked")
    )


TECHNIQUES = _sandworm_techniques()


def _objects() -> list[dict[str, Any]]:
    node_org = node_org_id("CERT-X")
    hidden = {"created_by_ref": node_org}
    return [
        stix("intrusion-set", 2, CLEAR, name="Turbine crew"),
        # A set only the node's org may see (TLP:AMBER+STRICT), using a technique of the case.
        stix("intrusion-set", 3, AMBER_STRICT, name="CANARY-hidden-set", **hidden),
        stix("relationship", 5, AMBER_STRICT, relationship_type="uses", source_ref=HIDDEN,
             target_ref=TECHNIQUES[0], **hidden),
        stix("indicator", 4, CLEAR, name="C2 domain", pattern="[domain-name:value = 'c2.example']",
             pattern_type="stix", valid_from="2024-01-01T00:00:00Z"),
    ]  # fmt: skip


def _public_release(folder: Path) -> Path:
    """The ATT&CK for ICS release with each object marked TLP:CLEAR as well (it is public),
    so that partners see it too and the hidden set is all they must not be shown."""
    release = json.loads(ICS.read_text())
    for obj in release["objects"]:
        if obj.get("type") != "marking-definition":
            obj["object_marking_refs"] = [*obj.get("object_marking_refs", ()), CLEAR]
    path = folder / "ics-attack-clear.json"
    path.write_text(json.dumps(release))
    return path


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    home = tmp_path_factory.mktemp("attribution-page")
    with ui_node(home) as opened:
        ingest_file(opened.node, _public_release(home))
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(o, o["modified"]), FEED) for o in _objects()])
        yield opened


def _case(ui: UiNode, name: str, refs: list[str], tlp: Tlp = Tlp.GREEN) -> str:
    analyst = ui.principals["analyst"]
    service = cases(ui.node)
    case_id = service.create(analyst, name=name, case_type=CaseType.INCIDENT, tlp=tlp).case.id
    if refs:
        service.attach(analyst, case_id, refs, channel="cli")
    return case_id


@pytest.fixture(scope="module")
def plant(ui: UiNode) -> str:
    """A TLP:GREEN case of the node's org referencing Sandworm's ICS techniques."""
    return _case(ui, "Plant outage", [*TECHNIQUES, INDICATOR])


def _post(ui: UiNode, who: str, path: str, form: dict[str, str]) -> Any:
    page = ui.get("/search", who)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return ui.client.post(path, data={"csrf_token": token.group(1), **form})


def _form(hypotheses: list[str], rows: list[dict[str, str]]) -> dict[str, str]:
    form = {f"hypothesis_{j}": h for j, h in enumerate(hypotheses)}
    form["rows"] = str(len(rows))
    for i, row in enumerate(rows):
        for name, value in row.items():
            # "cell_J" is row i's cell for hypothesis J: the form's "cell_I_J".
            kind, _, column = name.partition("_")
            form[f"cell_{i}_{column}" if column else f"{kind}_{i}"] = value
    return form


def _good_form() -> dict[str, str]:
    return _form(
        [SANDWORM, CREW],
        [
            {"ref": TECHNIQUES[0], "weight": "2", "reliability": "A", "credibility": "1",
             "cell_0": "consistent", "cell_1": "inconsistent"},
            {"text": "Turbine crew was in custody that week", "reliability": "B",
             "credibility": "2", "cell_0": "neutral", "cell_1": "inconsistent"},
            {"text": "", "cell_0": "inconsistent"},  # an empty free-text row: skipped
        ],
    )  # fmt: skip


def _attributions(ui: UiNode, case_id: str) -> list[str]:
    shown = cases(ui.node).show(ui.principals["analyst"], case_id)
    return [r for r in shown.shown.case.refs if r.startswith("relationship--")]


def test_the_owner_sees_the_ranking_as_hypotheses_and_the_matrix_form(
    ui: UiNode, plant: str
) -> None:
    answer = ui.get(f"/cases/{plant}/attribution", "analyst")
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert_page_rules(html)
    assert "Hypotheses, not an attribution." in html
    ranked = re.findall(r'<th scope="row"><a href="/objects/(intrusion-set--[0-9a-f-]{36})">', html)
    assert ranked[0] == SANDWORM  # the set whose techniques the case references
    assert HIDDEN in ranked  # the analyst of the node's org may see the hidden set
    # The top three are the matrix's columns; each cell's select is named by row and column.
    columns = re.findall(r'name="hypothesis_\d" value="([^"]+)"', html)
    assert columns == ranked[:3]
    assert 'for="cell-0-0" class="visually-hidden">' in html
    assert f'name="ref_{len(TECHNIQUES)}" value="{INDICATOR}"' in html
    assert 'action="/cases/' + plant + '/attribution"' in html
    # Chosen by the query: the checked boxes and the typed id are the columns.
    chosen = ui.get(f"/cases/{plant}/attribution", "analyst", hypothesis=SANDWORM, other=CREW)
    assert re.findall(r'name="hypothesis_\d" value="([^"]+)"', chosen.text) == [SANDWORM, CREW]
    assert "Turbine crew" in chosen.text
    # The case page links here.
    assert f'href="/cases/{plant}/attribution"' in ui.get(f"/cases/{plant}", "analyst").text


def test_a_case_without_techniques_says_so(ui: UiNode) -> None:
    empty = _case(ui, "Nothing yet", [INDICATOR])
    html = ui.get(f"/cases/{empty}/attribution", "analyst").text
    assert "references no ATT&amp;CK technique" in html
    assert "Choose at least one hypothesis" in html
    assert_page_rules(html)


def test_the_form_stores_an_attributed_to_relationship_with_the_case(ui: UiNode) -> None:
    case_id = _case(ui, "Substation", TECHNIQUES[:3])
    answer = _post(ui, "analyst", f"/cases/{case_id}/attribution", _good_form())
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert f"/cases/{case_id}/attribution?done=attributed&relationship=" in location
    [rel_id] = _attributions(ui, case_id)
    assert rel_id in location
    stored = ui.node.store.get_versions(rel_id, ("all",))
    rel = stored[-1].to_json()
    assert rel["relationship_type"] == "attributed-to"
    assert rel["target_ref"] == SANDWORM and rel["source_ref"].startswith("incident--")
    assert rel["x_entente_evidence_refs"] == [TECHNIQUES[0]]
    assert "in custody that week" in rel["description"]
    assert [v.provenance.principal for v in stored] == [ui.principals["analyst"].id]
    page = ui.client.get(location)  # the analyst's cookie is still set
    assert page.status_code == 200
    assert_page_rules(page.text)
    assert "The ACH matrix was scored" in page.text and "(just stored)" in page.text
    assert f"<dt>Confidence</dt><dd>{rel['confidence']}</dd>" in page.text
    assert f"1. {SANDWORM}: inconsistency 0.00" in page.text
    assert re.search(rf"2\. {CREW}: inconsistency [1-9]", page.text)
    assert f'<a href="/objects/{rel_id}">' in ui.get(f"/cases/{case_id}", "analyst").text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"cell_0_0": "maybe"}, "one of consistent, inconsistent, neutral"),
        ({"rows": "many"}, "rows: a count"),
        ({"weight_0": "heavy"}, "is not a number"),
        ({"weight_0": "0"}, "a number above 0"),
        ({"reliability_1": "Z"}, "one of A, B, C, D, E, F"),
        ({"hypothesis_0": "", "hypothesis_1": ""}, "hypotheses: a non-empty list"),
        ({"hypothesis_1": INDICATOR}, "an intrusion-set or threat-actor id"),
        ({"ref_0": ident(99, "indicator")}, "is visible"),
        ({"cell_0_1": "neutral", "cell_1_1": "neutral"}, "does not separate"),
    ],
)
def test_bad_input_is_a_400_that_stores_nothing(
    ui: UiNode, plant: str, change: dict[str, str], reason: str
) -> None:
    before = ui.node.store.stats().versions
    answer = _post(ui, "analyst", f"/cases/{plant}/attribution", {**_good_form(), **change})
    assert answer.status_code == 400, answer.text
    assert reason in answer.text and "Nothing was stored" in answer.text
    assert ui.node.store.stats().versions == before


def test_a_reader_and_another_org_are_refused_and_nothing_is_stored(ui: UiNode, plant: str) -> None:
    before = ui.node.store.stats().versions
    reader = ui.get(f"/cases/{plant}/attribution", "reader")
    assert reader.status_code == 200
    assert "Hypotheses, not an attribution." in reader.text
    assert 'method="post" action="/cases/' not in reader.text  # no matrix form
    assert _post(ui, "reader", f"/cases/{plant}/attribution", _good_form()).status_code == 403
    # Org B sees the TLP:GREEN case but did not open it.
    assert _post(ui, "analyst_b", f"/cases/{plant}/attribution", _good_form()).status_code == 403
    assert ui.node.store.stats().versions == before


def test_an_org_that_may_not_see_the_case_gets_the_case_pages_404(ui: UiNode, plant: str) -> None:
    absent = ui.get("/cases/grouping--00000000-0000-4000-8000-00000000ffff", "reader_c")
    assert absent.status_code == 404
    page = ui.get(f"/cases/{plant}/attribution", "reader_c")
    assert page.status_code == 404 and page.text == absent.text
    before = ui.node.store.stats().versions
    posted = _post(ui, "reader_c", f"/cases/{plant}/attribution", _good_form())
    assert posted.status_code == 404 and posted.text == absent.text
    assert ui.node.store.stats().versions == before


def test_another_org_sees_no_hidden_hypothesis(ui: UiNode, plant: str) -> None:
    html = ui.get(f"/cases/{plant}/attribution", "analyst_b").text
    assert SANDWORM in html
    assert HIDDEN not in html and "CANARY-hidden-set" not in html
    # Named in the query, it is refused as one that does not exist is.
    typed = ui.get(f"/cases/{plant}/attribution", "analyst_b", other=HIDDEN)
    absent = ident(98, "intrusion-set")
    missing = ui.get(f"/cases/{plant}/attribution", "analyst_b", other=absent)
    assert typed.status_code == missing.status_code == 400
    assert typed.text.replace(HIDDEN, absent) == missing.text
    assert "CANARY-hidden-set" not in typed.text


def test_the_form_reads_as_the_matrix_parse_matrix_takes() -> None:
    matrix = parse_matrix(parse_ach_form(_good_form()))
    assert matrix.hypotheses == (SANDWORM, CREW)
    assert [e.ref for e in matrix.evidence] == [TECHNIQUES[0], None]
    assert matrix.evidence[0].relevance == 2.0 and matrix.evidence[0].reliability == "A"
    with pytest.raises(InvalidInput, match="rows"):
        parse_ach_form({"rows": "301"})


def test_a_hypothesis_that_is_not_a_set_or_actor_is_a_400(ui: UiNode, plant: str) -> None:
    for asked in (INDICATOR, "Sandworm", "intrusion-set--nope"):
        answer = ui.get(f"/cases/{plant}/attribution", "analyst", hypothesis=asked)
        assert answer.status_code == 400, asked
        assert "is not an intrusion-set or threat-actor id" in answer.text
