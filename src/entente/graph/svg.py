"""The graph as SVG: a shape per STIX type, links labelled, every string escaped, no script.

Each node is an SVG ``<a>`` to its object page (``/objects/{id}``) carrying the id in
``data-object-id`` and its centre in ``data-x``/``data-y`` (an expansion keeps placed nodes
where they are, so the page sends their positions back), so the page's own script (pan,
zoom, click to expand) needs nothing else; the picture itself holds no script, no event
attribute and no external reference, so it is safe under the UI's ``default-src 'self'``
policy. Names come from partners: every one is escaped (``graph.escape``). The root is
``role="group"`` with an ``aria-label`` and a ``<title>``, not ``img``: an ``img``'s children
are presentational, and these hold links (WAI-ARIA 1.2 §5.4 "Children Presentational"; axe's
nested-interactive rule found it in a real browser); each node's ``<title>`` gives its name and
type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from entente.graph.escape import escape_text
from entente.graph.layout import NODE_RADIUS, Layout, Point
from entente.graph.model import GraphEdge, GraphNode

__all__ = ["SHAPES", "object_href", "render_graph_svg", "shape_of"]

# Longest label written under a node; the full name is in its <title>.
_LABEL = 24
_R = NODE_RADIUS

# Shape of each type, as points on the unit circle (polygons) or a named primitive.
SHAPES: Mapping[str, str] = {
    "attack-pattern": "triangle",
    "indicator": "diamond",
    "malware": "hexagon",
    "tool": "hexagon",
    "threat-actor": "octagon",
    "intrusion-set": "octagon",
    "campaign": "octagon",
    "report": "square",
    "grouping": "square",
    "note": "square",
    "opinion": "square",
    "incident": "square",
    "sighting": "star",
    "observed-data": "star",
    "vulnerability": "pentagon",
    "course-of-action": "pentagon",
}
_SCO_TYPES = frozenset(
    {
        "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "artifact",
        "autonomous-system", "mac-addr", "network-traffic", "x509-certificate", "process",
        "directory", "mutex", "software", "user-account", "windows-registry-key",
    }
)  # fmt: skip
_CORNERS = {"triangle": 3, "diamond": 4, "pentagon": 5, "hexagon": 6, "octagon": 8}
_CLASS_SAFE = re.compile(r"[^a-z0-9-]")


def shape_of(stix_type: str) -> str:
    """The shape a type is drawn as: a polygon, ``square``, ``star``, ``dot`` (observables)
    or ``circle`` (identities, locations and anything else)."""
    if stix_type in SHAPES:
        return SHAPES[stix_type]
    return "dot" if stix_type in _SCO_TYPES else "circle"


def object_href(object_id: str) -> str:
    """The object page of an id (the id percent-encoded: it came from a partner)."""
    return f"/objects/{quote(object_id, safe='')}"


def _n(value: float) -> str:
    return f"{value:.1f}"


def _polygon(centre: Point, corners: int, radius: float, turn: float) -> str:
    points = []
    for k in range(corners):
        angle = turn + 2 * math.pi * k / corners
        points.append(
            f"{_n(centre.x + radius * math.cos(angle))},{_n(centre.y + radius * math.sin(angle))}"
        )
    return " ".join(points)


def _shape(kind: str, c: Point) -> str:
    if kind in _CORNERS:
        corners = _CORNERS[kind]
        # Triangles and pentagons point up; the others sit flat.
        turn = -math.pi / 2 if corners in (3, 4, 5) else math.pi / corners
        return f'<polygon class="shape" points="{_polygon(c, corners, _R, turn)}"/>'
    if kind == "square":
        side = _R * 1.5
        return (
            f'<rect class="shape" x="{_n(c.x - side / 2)}" y="{_n(c.y - side / 2)}" '
            f'width="{_n(side)}" height="{_n(side)}" rx="3"/>'
        )
    if kind == "star":
        points = []
        for k in range(10):
            radius = _R if k % 2 == 0 else _R * 0.45
            angle = -math.pi / 2 + math.pi * k / 5
            x, y = c.x + radius * math.cos(angle), c.y + radius * math.sin(angle)
            points.append(f"{_n(x)},{_n(y)}")
        return f'<polygon class="shape" points="{" ".join(points)}"/>'
    radius = _R * 0.6 if kind == "dot" else _R
    return f'<circle class="shape" cx="{_n(c.x)}" cy="{_n(c.y)}" r="{_n(radius)}"/>'


def _short(name: str) -> str:
    return name if len(name) <= _LABEL else name[: _LABEL - 1] + "…"


def _edge(edge: GraphEdge, a: Point, b: Point, nth: int, names: Mapping[str, str]) -> str:
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    # From the rim of one node to the rim of the other (the arrow head ends on the target).
    x1, y1 = a.x + ux * _R, a.y + uy * _R
    x2, y2 = b.x - ux * (_R + 2), b.y - uy * (_R + 2)
    # Labels of several links between the same two nodes stacked, not drawn over each other.
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2 - 4 + 12 * nth
    label = escape_text(edge.label)
    summary = escape_text(f"{names[edge.source]} {edge.label} {names[edge.target]}")
    return (
        f'<g class="edge" data-edge-id="{escape_text(edge.id)}" '
        f'data-source="{escape_text(edge.source)}" data-target="{escape_text(edge.target)}">'
        f"<title>{summary}</title>"
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" marker-end="url(#arrow)"/>'
        f'<text class="edge-label" x="{_n(mx)}" y="{_n(my)}">{label}</text></g>'
    )


def _node(node: GraphNode, c: Point) -> str:
    kind = shape_of(node.type)
    described = escape_text(f"{node.name} ({node.type})")
    type_class = _CLASS_SAFE.sub("", node.type.lower())
    href = escape_text(object_href(node.id))
    return (
        f'<a class="node type-{type_class} shape-{kind}" href="{href}" '
        f'data-object-id="{escape_text(node.id)}" data-x="{_n(c.x)}" data-y="{_n(c.y)}" '
        f'aria-label="{described}">'
        f"<title>{described}</title>{_shape(kind, c)}"
        f'<text class="node-label" x="{_n(c.x)}" y="{_n(c.y + _R + 12)}">'
        f"{escape_text(_short(node.name))}</text></a>"
    )


def render_graph_svg(
    nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], layout: Layout, *, title: str
) -> str:
    """An SVG document of ``nodes`` at their ``layout`` positions and the ``edges`` between
    them (an edge with an end not among ``nodes`` is not drawn); ``title`` names it for
    assistive technology. ``ValueError`` when a node has no position."""
    missing = [n.id for n in nodes if n.id not in layout.positions]
    if missing:
        raise ValueError(f"no position for {len(missing)} nodes, first {missing[0]!r}")
    names = {n.id: n.name for n in nodes}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" '
        f'viewBox="0 0 {_n(layout.width)} {_n(layout.height)}" '
        f'width="{_n(layout.width)}" height="{_n(layout.height)}" '
        f'role="group" aria-label="{escape_text(title)}">',
        f"<title>{escape_text(title)}</title>",
        f"<desc>{len(nodes)} objects, {len(edges)} links</desc>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/>'
        "</marker></defs>",
        '<g class="edges">',
    ]
    seen: dict[tuple[str, str], int] = {}
    for edge in edges:
        if edge.source not in names or edge.target not in names:
            continue
        pair = (min(edge.source, edge.target), max(edge.source, edge.target))
        nth = seen.get(pair, 0)
        seen[pair] = nth + 1
        a, b = layout.positions[edge.source], layout.positions[edge.target]
        parts.append(_edge(edge, a, b, nth, names))
    parts.append('</g><g class="nodes">')
    parts.extend(_node(node, layout.positions[node.id]) for node in nodes)
    parts.append("</g></svg>")
    return "".join(parts)
