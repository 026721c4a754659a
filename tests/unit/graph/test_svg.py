"""The graph's SVG: shapes by type, escaped names, links to object pages, no script."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.graph import (
    GraphEdge,
    GraphNode,
    escape_text,
    layout_graph,
    object_href,
    render_graph_svg,
    shape_of,
)

SVG = "{http://www.w3.org/2000/svg}"
IND = "indicator--00000000-0000-4000-8000-000000000001"
MAL = "malware--00000000-0000-4000-8000-000000000002"
AP = "attack-pattern--00000000-0000-4000-8000-000000000003"
HOSTILE = [
    "<script>alert(1)</script>",
    '" onload="alert(1)',
    "' onmouseover='alert(1)",
    "]]><svg onload=alert(1)>",
    "&amp; &lt;",
    "javascript:alert(1)",
    "nul\x00and\x1bescape",
]


def _draw(nodes: list[GraphNode], edges: list[GraphEdge], title: str = "Graph") -> str:
    layout = layout_graph([n.id for n in nodes], [(e.source, e.target) for e in edges])
    return render_graph_svg(nodes, edges, layout, title=title)


def _no_active_content(root: ET.Element) -> None:
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in {"script", "foreignObject", "iframe"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            if name in ("href", "{http://www.w3.org/1999/xlink}href"):
                assert value.startswith("/objects/"), value


def test_hostile_names_are_escaped_and_read_back_as_text() -> None:
    nodes = [
        GraphNode(f"malware--00000000-0000-4000-8000-{i:012d}", "malware", name)
        for i, name in enumerate(HOSTILE)
    ]
    edges = [GraphEdge("relationship--x", nodes[0].id, nodes[1].id, "<b>uses</b>")]
    text = _draw(nodes, edges, title="<i>title</i>")
    assert "<script" not in text and "<svg onload" not in text
    assert "<b>" not in text and "<i>" not in text
    root = ET.fromstring(text)  # well-formed: nothing a partner wrote broke the document
    _no_active_content(root)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    for name in HOSTILE:
        clean = name.replace("\x00", "").replace("\x1b", "")
        assert f"{clean} (malware)" in titles
    assert root.attrib["aria-label"] == "<i>title</i>"
    labels = [t.text for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "edge-label"]
    assert labels == ["<b>uses</b>"]


@settings(max_examples=80, deadline=None)
@given(name=st.text(max_size=40), label=st.text(max_size=20))
def test_any_text_keeps_the_document_well_formed(name: str, label: str) -> None:
    nodes = [GraphNode(IND, "indicator", name), GraphNode(MAL, "malware", "m")]
    text = _draw(nodes, [GraphEdge("e", IND, MAL, label)])
    root = ET.fromstring(text)
    _no_active_content(root)
    (node,) = [a for a in root.iter(f"{SVG}a") if a.attrib["data-object-id"] == IND]
    title = node.find(f"{SVG}title")
    assert title is not None
    allowed = re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", name)
    # XML normalises line ends (XML 1.0 §2.11) in content: compare without them.
    assert (title.text or "").replace("\n", "") == re.sub("[\r\n]", "", allowed) + " (indicator)"


def test_nodes_link_to_their_object_pages_with_their_ids() -> None:
    nodes = [
        GraphNode(IND, "indicator", "[ipv4-addr:value = '10.0.0.1']"),
        GraphNode(MAL, "malware", "Poison Ivy"),
        GraphNode(AP, "attack-pattern", "Phishing"),
    ]
    edges = [
        GraphEdge("relationship--1", IND, MAL, "indicates"),
        GraphEdge("relationship--2", MAL, AP, "uses"),
        GraphEdge("relationship--3", MAL, "tool--absent", "uses"),  # an end not drawn
    ]
    root = ET.fromstring(_draw(nodes, edges, title="Neighbourhood of Poison Ivy"))
    assert root.attrib["role"] == "group"  # it holds links: no img (WAI-ARIA 1.2)
    assert root.attrib["aria-label"] == "Neighbourhood of Poison Ivy"
    links = {a.attrib["data-object-id"]: a for a in root.iter(f"{SVG}a")}
    assert set(links) == {IND, MAL, AP}
    for oid, a in links.items():
        assert a.attrib["href"] == f"/objects/{oid}"
    assert links[AP].find(f"{SVG}polygon") is not None  # a triangle
    assert links[MAL].find(f"{SVG}polygon") is not None  # a hexagon
    drawn = [g.attrib["data-edge-id"] for g in root.iter(f"{SVG}g") if "data-edge-id" in g.attrib]
    assert drawn == ["relationship--1", "relationship--2"]
    assert root.find(f"{SVG}desc") is not None


def test_each_node_carries_its_centre_for_the_pages_expansions() -> None:
    nodes = [GraphNode(IND, "indicator", "i"), GraphNode(MAL, "malware", "m")]
    layout = layout_graph([IND, MAL], [(IND, MAL)])
    root = ET.fromstring(render_graph_svg(nodes, [], layout, title="Graph"))
    for a in root.iter(f"{SVG}a"):
        centre = layout.positions[a.attrib["data-object-id"]]
        assert (float(a.attrib["data-x"]), float(a.attrib["data-y"])) == (centre.x, centre.y)


def test_shapes_tell_types_apart() -> None:
    assert shape_of("attack-pattern") == "triangle"
    assert shape_of("indicator") == "diamond"
    assert shape_of("ipv4-addr") == "dot"
    assert shape_of("identity") == "circle"
    assert shape_of("x-unknown") == "circle"
    points = {
        kind: len(
            _draw([GraphNode(IND, kind, "n")], []).split('points="')[1].split('"')[0].split(" ")
        )
        for kind in ("attack-pattern", "indicator", "malware", "threat-actor")
    }
    assert points == {"attack-pattern": 3, "indicator": 4, "malware": 6, "threat-actor": 8}


def test_an_id_in_a_link_is_percent_encoded() -> None:
    assert object_href("x-odd--a/b?c") == "/objects/x-odd--a%2Fb%3Fc"
    assert escape_text('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"


def test_a_node_without_a_position_is_an_error() -> None:
    layout = layout_graph([IND], [])
    with pytest.raises(ValueError, match="no position"):
        render_graph_svg([GraphNode(MAL, "malware", "m")], [], layout, title="t")
