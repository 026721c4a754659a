"""X-ARF v4 abuse reports (JSON), built from values and validated against the official schema.

The schema files are the X-ARF project's own (``xarf-schema/``, from ``xarf/xarf-spec``, MIT):
``xarf-v4-master.json`` checks the core fields and routes each category and type to its own
schema. Evidence travels inline, base64, each item with its SHA-256 (``hash``, X-ARF v4
core ``evidence_item``), so the recipient can check it against what we keep.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
import referencing
import referencing.jsonschema

from entente.errors import InvalidInput

__all__ = [
    "XARF_VERSION",
    "Evidence",
    "Party",
    "build_xarf",
    "render_xarf",
    "validate_xarf",
]

XARF_VERSION = "4.0.0"
_MASTER_ID = "https://xarf.org/schemas/v4/xarf-v4-master.json"
_MAX_DESCRIPTION = 1000  # xarf-core.json: description maxLength


@dataclass(frozen=True, slots=True)
class Party:
    """A reporter or sender (X-ARF v4 ``contact_info``): organisation, e-mail, domain."""

    org: str
    contact: str
    domain: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence: its bytes, their media type and what they are."""

    content_type: str
    description: str
    payload: bytes

    @property
    def sha256(self) -> str:
        """The SHA-256 of the payload, hex."""
        return hashlib.sha256(self.payload).hexdigest()


def _party(party: Party) -> dict[str, str]:
    return {"org": party.org, "contact": party.contact, "domain": party.domain}


def build_xarf(
    *,
    report_id: str,
    timestamp: str,
    reporter: Party,
    sender: Party,
    source_identifier: str,
    category: str,
    report_type: str,
    evidence_source: str,
    evidence: Sequence[Evidence] = (),
    description: str = "",
    confidence: float | None = None,
    tags: Sequence[str] = (),
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An X-ARF v4 report, validated (``InvalidInput`` naming the first failure).

    ``fields`` are the type's own fields (``threat_type`` for reputation/threat_intelligence,
    ``malware_family`` for ...); the type's schema says which are required.
    """
    report: dict[str, Any] = {
        "xarf_version": XARF_VERSION,
        "report_id": report_id,
        "timestamp": timestamp,
        "reporter": _party(reporter),
        "sender": _party(sender),
        "source_identifier": source_identifier,
        "category": category,
        "type": report_type,
        "evidence_source": evidence_source,
    }
    if evidence:
        report["evidence"] = [
            {
                "content_type": e.content_type,
                "description": e.description,
                "payload": base64.b64encode(e.payload).decode("ascii"),
                "hash": f"sha256:{e.sha256}",
                "size": len(e.payload),
            }
            for e in evidence
        ]
    if description:
        report["description"] = description[:_MAX_DESCRIPTION]
    if confidence is not None:
        report["confidence"] = confidence
    if tags:
        report["tags"] = list(tags)
    for name, value in (fields or {}).items():
        report.setdefault(name, value)
    validate_xarf(report)
    return report


@functools.cache
def _validator() -> Any:
    """The master schema's validator, its ``$ref``s resolved against the shipped files by
    their ``$id`` (no network: the registry holds every schema)."""
    root = resources.files("entente.abuse").joinpath("xarf-schema")
    documents = [root.joinpath("xarf-core.json"), root.joinpath("xarf-v4-master.json")]
    documents.extend(p for p in root.joinpath("types").iterdir() if p.name.endswith(".json"))
    registry: referencing.Registry[Any] = referencing.Registry()
    for path in documents:
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = referencing.jsonschema.DRAFT202012.create_resource(schema)
        registry = registry.with_resource(schema["$id"], resource)
    master = registry.contents(_MASTER_ID)
    return jsonschema.Draft202012Validator(
        master, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def validate_xarf(report: Mapping[str, Any]) -> None:
    """``InvalidInput`` unless ``report`` is valid X-ARF v4 (master schema, with its type's)."""
    errors = sorted(_validator().iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(report)"
        raise InvalidInput(f"not valid X-ARF v4 at {where}: {first.message}")


def render_xarf(report: Mapping[str, Any]) -> bytes:
    """The report as the JSON text that is sent (UTF-8, keys in order, indented)."""
    return json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
