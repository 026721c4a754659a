"""The graph of objects and the ATT&CK matrix as pictures: layout, SVG and HTML (sans-IO).

The services (``services.graph``, ``services.attack_matrix``) read the store through the
sharing policy; what they found is drawn here, with every partner-written string escaped.
"""

from __future__ import annotations

from entente.graph.escape import escape_text
from entente.graph.layout import CELL, NODE_RADIUS, Layout, Point, layout_graph
from entente.graph.matrix import (
    ATTACK_DOMAINS,
    AttackMatrix,
    MatrixTactic,
    MatrixTechnique,
    build_matrix,
    domains_of,
    usage_counts,
)
from entente.graph.matrix_html import SHADES, render_matrix_html, shade_of
from entente.graph.model import GraphEdge, GraphNode, display_name
from entente.graph.svg import SHAPES, object_href, render_graph_svg, shape_of

__all__ = [
    "ATTACK_DOMAINS",
    "CELL",
    "NODE_RADIUS",
    "SHADES",
    "SHAPES",
    "AttackMatrix",
    "GraphEdge",
    "GraphNode",
    "Layout",
    "MatrixTactic",
    "MatrixTechnique",
    "Point",
    "build_matrix",
    "display_name",
    "domains_of",
    "escape_text",
    "layout_graph",
    "object_href",
    "render_graph_svg",
    "render_matrix_html",
    "shade_of",
    "shape_of",
    "usage_counts",
]
