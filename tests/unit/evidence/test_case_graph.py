"""case.jsonld: the CASE/UCO graph of a case, stable ids, exhibits tied to their files."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from tests.unit.evidence.sample import sample_input

from entente.evidence.case_graph import case_document


def _graph() -> dict[str, dict[str, Any]]:
    document = orjson.loads(case_document(sample_input()))
    return {node["@id"]: node for node in document["@graph"]}


def test_the_same_case_gives_the_same_document() -> None:
    assert case_document(sample_input()) == case_document(sample_input())


def test_each_exhibit_number_is_a_provenance_record_over_its_files_hash() -> None:
    graph = _graph()
    evidence = sample_input()
    records = [n for n in graph.values() if n["@type"] == "case-investigation:ProvenanceRecord"]
    by_number = {record["case-investigation:exhibitNumber"]: record for record in records}
    for exhibit in evidence.exhibits:
        (file_ref,) = by_number[exhibit.number]["uco-core:object"]
        file_node = graph[file_ref["@id"]]
        facets = {facet["@type"]: facet for facet in file_node["uco-core:hasFacet"]}
        assert facets["uco-observable:FileFacet"]["uco-observable:fileName"] == exhibit.artifact
        (digest,) = facets["uco-observable:ContentDataFacet"]["uco-observable:hash"]
        assert digest["uco-types:hashMethod"] == "SHA256"
        assert digest["uco-types:hashValue"]["@value"] == (
            hashlib.sha256(evidence.artifacts[exhibit.artifact]).hexdigest()
        )


def test_the_investigation_is_authorised_by_the_agreement_and_holds_the_actions() -> None:
    graph = _graph()
    (investigation,) = [
        n for n in graph.values() if n["@type"] == "case-investigation:Investigation"
    ]
    (authorization_ref,) = investigation["case-investigation:relevantAuthorization"]
    authorization = graph[authorization_ref["@id"]]
    assert authorization["case-investigation:authorizationIdentifier"] == ["agreement--le-2026"]
    members = {ref["@id"] for ref in investigation["uco-core:object"]}
    actions = [n for n in graph.values() if n["@type"] == "case-investigation:InvestigativeAction"]
    assert len(actions) == 2
    assert {action["@id"] for action in actions} <= members
    first = next(a for a in actions if a["uco-core:name"].startswith("Acquisition"))
    (result,) = first["uco-action:result"]
    assert graph[result["@id"]]["case-investigation:exhibitNumber"] == "A-1"
    assert graph[first["uco-action:performer"]["@id"]]["uco-core:name"] == "Analyst One (Org A)"
