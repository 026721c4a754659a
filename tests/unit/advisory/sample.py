"""A sample joint advisory from real data: the Triton campaign of ATT&CK for ICS v18.1
(its techniques and how MITRE says they were used) and indicators from the OASIS Poison Ivy
example, co-sealed by two agencies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from entente.advisory import AdvisoryDraft, Agency, AttackData
from entente.stix import Tlp, marking_id_for

__all__ = [
    "AUTHOR",
    "COAUTHOR",
    "ICS",
    "POISON_IVY",
    "TRITON",
    "attack_data",
    "draft",
    "ics_objects",
    "selection",
]

DATA = Path(__file__).parents[2] / "data"
ICS = DATA / "corpus" / "mitre-attack" / "ics-attack.json"
POISON_IVY = DATA / "stix" / "poisonivy.json"
TRITON = "campaign--45a98f02-852f-49b2-94c0-c63207bebbbf"
INDICATORS = (
    "indicator--e8094b09-7df4-4b13-b207-1e27af3c4bde",  # an IP address
    "indicator--b7fa7e73-e645-4813-9723-161bbd8dda62",  # a domain OR an IP address
    "indicator--137acf67-cedc-4a07-8719-72759174de3a",  # file:name, not reducible to a value
)
AUTHOR = Agency("identity--8d0f1e2a-4b3c-4d5e-8f60-718293a4b5c6", "Agency A (author)")
COAUTHOR = Agency("identity--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Agency B")


@cache
def ics_objects() -> tuple[dict[str, Any], ...]:
    """Every object of the ATT&CK for ICS release."""
    return tuple(json.loads(ICS.read_text())["objects"])


def attack_data() -> AttackData:
    """The release's collection, tactics, courses of action and mitigates relationships."""
    objects = ics_objects()
    return AttackData(
        collections=[o for o in objects if o["type"] == "x-mitre-collection"],
        tactics=[o for o in objects if o["type"] == "x-mitre-tactic"],
        courses=[o for o in objects if o["type"] == "course-of-action"],
        relationships=[
            o
            for o in objects
            if o["type"] == "relationship" and o["relationship_type"] == "mitigates"
        ],
    )


def selection(*, amber_indicator: bool = True) -> list[dict[str, Any]]:
    """The campaign, its ``uses`` relationships, the techniques and three indicators (one
    marked TLP:AMBER, the others unmarked)."""
    objects = ics_objects()
    uses = [
        o
        for o in objects
        if o["type"] == "relationship"
        and o["source_ref"] == TRITON
        and o["relationship_type"] == "uses"
        and o["target_ref"].startswith("attack-pattern--")
    ]
    targets = {o["target_ref"] for o in uses}
    chosen = [o for o in objects if o["id"] == TRITON or o["id"] in targets] + uses
    indicators = [
        dict(o) for o in json.loads(POISON_IVY.read_text())["objects"] if o["id"] in INDICATORS
    ]
    if amber_indicator:
        indicators[0]["object_marking_refs"] = [marking_id_for(Tlp.AMBER)]
    return chosen + indicators


def draft(**changes: Any) -> AdvisoryDraft:
    """The advisory's text and agencies."""
    values: dict[str, Any] = {
        "title": "Triton Targets Safety Instrumented Systems in Industrial Plants",
        "summary": (
            "Agency A and Agency B are releasing this joint advisory to disseminate known "
            "tactics, techniques and procedures of the Triton Safety Instrumented System "
            "attack and indicators associated with its infrastructure.\n\n"
            "The authoring agencies urge operators of industrial control systems to apply "
            "the mitigations in this advisory."
        ),
        "technical_details": (
            "The actors gained access to the engineering workstation of a safety "
            "instrumented system and deployed a framework that reprogrammed its controllers."
        ),
        "author": AUTHOR,
        "coauthors": (COAUTHOR,),
        "created": "2026-12-05T12:00:00.000Z",
        "mitigations": (
            "Keep safety controllers' key switches in RUN and alert on any program change.",
        ),
    }
    values.update(changes)
    return AdvisoryDraft(**values)
