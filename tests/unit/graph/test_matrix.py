"""The ATT&CK matrix from real ATT&CK releases (ICS, Mobile 3.0 and 17.1), and its table."""

from __future__ import annotations

import json
import lzma
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from entente.graph import (
    AttackMatrix,
    MatrixTactic,
    MatrixTechnique,
    build_matrix,
    domains_of,
    render_matrix_html,
    shade_of,
    usage_counts,
)

ATTACK = Path(__file__).parents[2] / "data" / "corpus" / "mitre-attack"
USERS = {"campaign", "incident", "intrusion-set", "malware", "threat-actor", "tool"}


def _objects(name: str) -> list[dict[str, Any]]:
    path = ATTACK / name
    raw = lzma.decompress(path.read_bytes()) if path.suffix == ".xz" else path.read_bytes()
    objects: list[dict[str, Any]] = json.loads(raw)["objects"]
    return objects


@pytest.fixture(scope="module")
def ics() -> list[dict[str, Any]]:
    return _objects("ics-attack.json")


def _naive_counts(objects: list[dict[str, Any]]) -> dict[str, int]:
    """Users per technique straight from the bundle: distinct sources of ``uses``."""
    users: dict[str, set[str]] = {}
    for o in objects:
        if (
            o["type"] == "relationship"
            and o["relationship_type"] == "uses"
            and o["source_ref"].split("--")[0] in USERS
            and o["target_ref"].startswith("attack-")
        ):
            users.setdefault(o["target_ref"], set()).add(o["source_ref"])
    return {t: len(s) for t, s in users.items()}


def _all(matrix: AttackMatrix) -> list[MatrixTechnique]:
    return [x for t in matrix.tactics for row in t.techniques for x in (row, *row.subtechniques)]


def test_ics_matrix_has_its_tactics_in_matrix_order_and_every_technique(
    ics: list[dict[str, Any]],
) -> None:
    assert domains_of(ics) == ["ics-attack"]
    counts = usage_counts(ics, [o["id"] for o in ics])
    assert counts == _naive_counts(ics)
    matrix = build_matrix(ics, counts, "ics-attack")
    assert matrix.name == "ATT&CK for ICS"
    (source,) = [o for o in ics if o["type"] == "x-mitre-matrix"]
    tactics = {o["id"]: o for o in ics if o["type"] == "x-mitre-tactic"}
    assert [t.name for t in matrix.tactics] == [tactics[r]["name"] for r in source["tactic_refs"]]
    assert matrix.tactics[0].external_id == "TA0108"  # Initial Access (ICS)
    active = {
        o["id"]
        for o in ics
        if o["type"] == "attack-pattern"
        and not o.get("revoked")
        and not o.get("x_mitre_deprecated")
    }
    placed = {t.id for t in _all(matrix)}
    assert placed == active
    # Each technique sits under each tactic its kill-chain phases name.
    for tactic in matrix.tactics:
        for row in tactic.techniques:
            (obj,) = [o for o in ics if o["id"] == row.id]
            assert tactic.shortname in {p["phase_name"] for p in obj["kill_chain_phases"]}
        names = [row.name.casefold() for row in tactic.techniques]
        assert names == sorted(names)
    drive_by = next(t for t in _all(matrix) if t.external_id == "T0817")
    assert (drive_by.name, drive_by.count) == ("Drive-by Compromise", counts[drive_by.id])
    assert matrix.max_count == max(counts[t] for t in placed if t in counts)


@pytest.mark.parametrize("release", ["3.0", "17.1"])
def test_mobile_releases_leave_out_revoked_and_nest_subtechniques(release: str) -> None:
    objects = _objects(f"mobile/mobile-attack-{release}.json.xz")
    assert domains_of(objects) == ["mobile-attack"]
    matrix = build_matrix(
        objects, usage_counts(objects, [o["id"] for o in objects]), "mobile-attack"
    )
    gone = {
        o["id"]
        for o in objects
        if o["type"] == "attack-pattern" and (o.get("revoked") or o.get("x_mitre_deprecated"))
    }
    shown = _all(matrix)
    assert shown and not gone & {t.id for t in shown}
    for tactic in matrix.tactics:
        for row in tactic.techniques:
            for sub in row.subtechniques:
                assert sub.external_id.startswith(row.external_id + ".")
    if release == "17.1":
        assert matrix.name == "Mobile ATT&CK"
        assert sum(len(r.subtechniques) for t in matrix.tactics for r in t.techniques) > 0
        assert "Impact" in [t.name for t in matrix.tactics]


def test_other_domains_and_unknown_phases() -> None:
    lone: dict[str, Any] = {
        "type": "attack-pattern",
        "id": "attack-pattern--00000000-0000-4000-8000-000000000001",
        "name": "Lone",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1"}],
    }
    other = dict(lone, id="attack-pattern--00000000-0000-4000-8000-000000000002")
    other["kill_chain_phases"] = [{"kill_chain_name": "lockheed", "phase_name": "recon"}]
    assert domains_of([lone, other]) == ["enterprise-attack"]
    # No tactic object visible: the phase is still a column, named from its short name.
    matrix = build_matrix([lone, other], {lone["id"]: 2}, "enterprise-attack")
    assert [(t.name, [r.name for r in t.techniques]) for t in matrix.tactics] == [
        ("Initial Access", ["Lone"])
    ]
    assert build_matrix([], {}, "ics-attack").tactics == ()


def test_shades_split_the_largest_count_in_quarters() -> None:
    assert [shade_of(c, 8) for c in (0, 1, 2, 3, 4, 5, 7, 8)] == [0, 1, 1, 2, 2, 3, 4, 4]
    assert shade_of(3, 0) == 0


def _parse(html: str) -> ET.Element:
    return ET.fromstring(f"<div>{html}</div>")


def test_the_table_names_each_cell_s_tactic_and_writes_counts_as_text(
    ics: list[dict[str, Any]],
) -> None:
    matrix = build_matrix(ics, usage_counts(ics, [o["id"] for o in ics]), "ics-attack")
    root = _parse(render_matrix_html(matrix))
    table = root.find("table")
    assert table is not None and table.find("caption") is not None
    headers = {th.attrib["id"]: th for th in table.iter("th")}
    assert len(headers) == len(matrix.tactics)
    assert all(th.attrib["scope"] == "col" for th in headers.values())
    cells = [td for td in table.iter("td") if td.find("a") is not None]
    assert len(cells) == sum(len(t.techniques) for t in matrix.tactics)
    for td in cells:
        assert td.attrib["headers"] in headers
        counts = [s.text for s in td.iter("span") if s.attrib.get("class") == "count"]
        assert counts and all(c and c.split()[1] in ("user", "users") for c in counts)
    links = {a.attrib["href"] for a in table.iter("a")}
    assert {f"/objects/{t.id}" for t in _all(matrix)} == links
    legend = root.find("ul")
    assert legend is not None and legend.attrib["class"] == "matrix-legend"
    assert "".join(next(legend.iter("li")).itertext()) == " not used"


def test_names_in_the_table_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    matrix = AttackMatrix(
        domain="ics-attack",
        name=f"{evil} matrix",
        tactics=(
            MatrixTactic(
                shortname="x",
                name=f'"><img src=x onerror=alert(1)>{evil}',
                id=None,
                external_id=None,
                techniques=(MatrixTechnique("attack-pattern--1", "T1&2", evil, 3),),
            ),
        ),
        max_count=3,
    )
    html = render_matrix_html(matrix)
    assert "<script" not in html and "<img" not in html
    root = _parse(html)
    assert root.find("table/thead/tr/th") is not None
    assert (root.find("table/thead/tr/th").text or "").startswith('"><img')  # type: ignore[union-attr]
    (a,) = root.iter("a")
    assert a.text == evil
    assert ["".join(li.itertext()) for li in root.iter("li")] == [
        " not used",
        " 1 user",
        " 2 users",
        " 3 users",
    ]
