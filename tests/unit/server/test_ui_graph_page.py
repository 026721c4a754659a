"""The graph page and its expansion fragment over the real app and a real SQLite node."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from tests.factories import CLEAR, ident, new_version, relationship, stix
from tests.unit.server.ui_sessions import FEED, UiNode, ui_node

from entente.services.graph import NEIGHBOUR_CAP

SVG = "{http://www.w3.org/2000/svg}"
ACTOR = ident(1, "intrusion-set")
HUB = ident(2, "malware")


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path, ("analyst",)) as opened:
        yield opened


def _store(ui: UiNode, *objects: dict[str, object]) -> None:
    with ui.node.store.transaction() as tx:
        tx.insert([(new_version(o), FEED) for o in objects])


def _svg(html: str) -> ElementTree.Element:
    found = re.search(r"<svg .*?</svg>", html, re.S)
    assert found is not None
    return ElementTree.fromstring(found.group(0))


def _nodes(svg: ElementTree.Element) -> dict[str, tuple[float, float]]:
    return {
        a.attrib["data-object-id"]: (float(a.attrib["data-x"]), float(a.attrib["data-y"]))
        for a in svg.iter(f"{SVG}a")
    }


def _star(ui: UiNode, tools: int) -> list[str]:
    """The hub malware used by an actor and using ``tools`` tools; the tools' ids."""
    ids = [ident(100 + n, "tool") for n in range(tools)]
    _store(
        ui,
        stix("intrusion-set", 1, CLEAR, name="Crew <x>"),
        stix("malware", 2, CLEAR, name="Hub", is_family=False),
        relationship(3, ACTOR, "uses", HUB),
        *(stix("tool", 100 + n, CLEAR, name=f"Tool {n}") for n in range(tools)),
        *(relationship(200 + n, HUB, "uses", t) for n, t in enumerate(ids)),
    )
    return ids


def test_the_graph_page_draws_the_neighbours_and_lists_them_as_links(ui: UiNode) -> None:
    tools = _star(ui, 3)
    page = ui.get(f"/graph/{HUB}", "analyst")
    assert page.status_code == 200
    html = page.text
    assert _nodes(_svg(html)).keys() == {HUB, ACTOR, *tools}
    # The list beside the picture: each neighbour's graph page, escaped, with the link kind.
    assert f'<a href="/graph/{ACTOR}">Crew &lt;x&gt;</a>' in html
    assert "uses (from it)" in html and "uses (to it)" in html
    for tool in tools:
        assert f'href="/graph/{tool}"' in html
    # Our own script, from 'self'; nothing inline.
    assert '<script src="/static/graph.js" defer></script>' in html
    assert "style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert len(re.findall(r"<script", html)) == 1
    script = ui.client.get("/static/graph.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_a_page_holds_the_cap_and_says_how_many_more(ui: UiNode) -> None:
    _star(ui, NEIGHBOUR_CAP + 4)
    html = ui.get(f"/graph/{HUB}", "analyst").text
    assert len(_nodes(_svg(html))) == NEIGHBOUR_CAP + 1
    assert "5 more linked objects not shown." in html


def test_an_expansion_adds_the_new_neighbours_around_the_nodes_already_placed(
    ui: UiNode,
) -> None:
    tools = _star(ui, 2)
    extra = ident(300, "tool")
    _store(
        ui,
        stix("tool", 300, CLEAR, name="Second hop"),
        relationship(301, ACTOR, "uses", extra),
    )
    page = _nodes(_svg(ui.get(f"/graph/{HUB}", "analyst").text))
    shown = [f"{oid}:{x}:{y}" for oid, (x, y) in page.items()]
    answer = ui.get(f"/graph/{HUB}/expand", "analyst", node=ACTOR, shown=shown)
    assert answer.status_code == 200
    fragment = answer.text
    assert fragment.startswith('<div class="graph-fragment"')
    drawn = _nodes(_svg(fragment))
    # The new neighbour, the expanded node, and the shown end of the new edges.
    assert extra in drawn and ACTOR in drawn
    assert not set(tools) & set(drawn)
    for oid, point in drawn.items():
        if oid in page:
            assert point == page[oid], oid  # what the page shows stays where it is
    assert drawn[extra] not in page.values()  # and the new node takes a free cell
    assert "Second hop" in fragment and "<h3>Linked to Crew &lt;x&gt;</h3>" in fragment
    # Asking again with the new node shown adds nothing.
    again = ui.get(
        f"/graph/{HUB}/expand",
        "analyst",
        node=ACTOR,
        shown=[*shown, f"{extra}:{drawn[extra][0]}:{drawn[extra][1]}"],
    )
    assert "No further linked objects that you may see." in again.text


def test_unknown_objects_and_bad_requests_get_pages_not_errors(ui: UiNode) -> None:
    missing = ident(999, "malware")
    for path in (f"/graph/{missing}", f"/graph/{missing}/expand"):
        answer = ui.get(path, "analyst")
        assert answer.status_code == 404
        assert "<h1>Not found</h1>" in answer.text
    assert ui.get("/graph/not-an-id", "analyst").status_code == 400
    _star(ui, 1)
    bad = ui.get(f"/graph/{HUB}/expand", "analyst", node=ACTOR, shown=f"{HUB}:x:1")
    assert bad.status_code == 400
    ui.client.cookies.clear()
    for path in (f"/graph/{HUB}", f"/graph/{HUB}/expand", "/attack", "/"):
        signed_out = ui.client.get(path)
        assert signed_out.status_code == 303, path
        assert signed_out.headers["location"].endswith("/login")
