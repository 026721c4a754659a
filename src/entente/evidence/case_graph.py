"""``case.jsonld``: the case in CASE/UCO 1.x (caseontology.org), as ``case_validate`` checks it.

The investigation (``case-investigation:Investigation``) names its authorisation
(``case-investigation:Authorization``: the sharing agreement) and its investigative actions
(``case-investigation:InvestigativeAction``, UCO ``action:Action``), whose results are
provenance records (``case-investigation:ProvenanceRecord``) carrying exhibit numbers; each
exhibit is a ``uco-observable:File`` with its name, size and SHA-256 (``uco-types:Hash``,
``SHA256`` from HashNameVocab, ``xsd:hexBinary``). Every node has an IRI: node ids are UUIDv5
of the case id and the node's role, so the same input gives the same graph.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from entente.evidence.model import EvidenceInput

__all__ = ["CONTEXT", "case_document"]

CONTEXT: dict[str, str] = {
    "kb": "urn:entente:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_SEPARATOR = "\x1f"  # a byte no id or name holds
_NAMESPACE = uuid.UUID("6c1b7f0e-5a43-4c1e-9d0b-2f6a3e8b9c10")


def _dt(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def case_document(evidence: EvidenceInput) -> bytes:
    """The CASE/UCO JSON-LD document of ``evidence`` (sorted keys, two-space indent)."""

    def iri(kind: str, *parts: str) -> str:
        name = _SEPARATOR.join((evidence.case_id, *parts))
        return f"kb:{kind}-{uuid.uuid5(_NAMESPACE, name)}"

    graph: list[dict[str, Any]] = []
    files: dict[str, str] = {}
    for name in sorted(evidence.artifacts):
        data = evidence.artifacts[name]
        file_iri = iri("file", name)
        files[name] = file_iri
        graph.append(
            {
                "@id": file_iri,
                "@type": "uco-observable:File",
                "uco-core:hasFacet": [
                    {
                        "@id": iri("file-facet", name),
                        "@type": "uco-observable:FileFacet",
                        "uco-observable:fileName": name,
                        "uco-observable:sizeInBytes": {"@type": "xsd:integer", "@value": len(data)},
                    },
                    {
                        "@id": iri("content-data-facet", name),
                        "@type": "uco-observable:ContentDataFacet",
                        "uco-observable:hash": [
                            {
                                "@id": iri("hash", name),
                                "@type": "uco-types:Hash",
                                # UCO 1.4: xsd:string, a member of HashNameVocab
                                "uco-types:hashMethod": "SHA256",
                                "uco-types:hashValue": {
                                    "@type": "xsd:hexBinary",
                                    "@value": hashlib.sha256(data).hexdigest(),
                                },
                            }
                        ],
                    },
                ],
            }
        )
    records: dict[str, str] = {}
    for exhibit in evidence.exhibits:
        record_iri = iri("provenance-record", exhibit.number)
        records[exhibit.number] = record_iri
        record: dict[str, Any] = {
            "@id": record_iri,
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": exhibit.number,
            "uco-core:object": [{"@id": files[exhibit.artifact]}],
        }
        if exhibit.description:
            record["uco-core:description"] = exhibit.description
        graph.append(record)
    authorization_iri = iri("authorization", evidence.authorization.agreement_id)
    graph.append(
        {
            "@id": authorization_iri,
            "@type": "case-investigation:Authorization",
            "uco-core:name": evidence.authorization.name,
            "uco-core:description": evidence.authorization.description
            or "Sharing agreement under which this evidence was shared",
            "case-investigation:authorizationType": "sharing agreement",
            "case-investigation:authorizationIdentifier": [evidence.authorization.agreement_id],
        }
    )
    performers: dict[str, str] = {}
    action_iris: list[str] = []
    for index, action in enumerate(evidence.actions):
        if action.performer not in performers:
            performers[action.performer] = iri("identity", action.performer)
            graph.append(
                {
                    "@id": performers[action.performer],
                    "@type": "uco-identity:Identity",
                    "uco-core:name": action.performer,
                }
            )
        action_iri = iri("investigative-action", str(index), action.name)
        action_iris.append(action_iri)
        node: dict[str, Any] = {
            "@id": action_iri,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": action.name,
            "uco-action:performer": {"@id": performers[action.performer]},
            "uco-action:startTime": _dt(action.start_time),
            "uco-action:endTime": _dt(action.end_time),
        }
        if action.description:
            node["uco-core:description"] = action.description
        results = [{"@id": records[number]} for number in action.exhibits]
        if results:
            node["uco-action:result"] = results
        graph.append(node)
    members = [authorization_iri, *action_iris, *records.values(), *files.values()]
    graph.append(
        {
            "@id": iri("investigation"),
            "@type": "case-investigation:Investigation",
            "uco-core:name": evidence.title,
            "case-investigation:focus": [evidence.case_type],
            "case-investigation:relevantAuthorization": [{"@id": authorization_iri}],
            "uco-core:object": [{"@id": member} for member in members],
        }
    )
    graph.sort(key=lambda node: str(node["@id"]))
    return orjson.dumps(
        {"@context": CONTEXT, "@graph": graph}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
    )
