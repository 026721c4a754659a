"""The graph layout: no overlap, inside the view box, deterministic, stable on expansion."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from entente.graph import CELL, NODE_RADIUS, Layout, layout_graph


def _names(n: int) -> list[str]:
    return [f"indicator--00000000-0000-4000-8000-{i:012d}" for i in range(n)]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    names = _names(draw(st.integers(min_value=0, max_value=60)))
    if not names:
        return names, []
    index = st.integers(min_value=0, max_value=len(names) - 1)
    pairs = draw(st.lists(st.tuples(index, index), max_size=120))
    return names, [(names[a], names[b]) for a, b in pairs]


def _check_drawable(layout: Layout, names: list[str]) -> None:
    assert set(layout.positions) == set(names)
    points = list(layout.positions.values())
    for p in points:
        assert NODE_RADIUS <= p.x <= layout.width - NODE_RADIUS
        assert NODE_RADIUS <= p.y <= layout.height - NODE_RADIUS
    for i, a in enumerate(points):
        for b in points[i + 1 :]:
            assert math.hypot(a.x - b.x, a.y - b.y) >= 2 * NODE_RADIUS


@settings(max_examples=60, deadline=None)
@given(graph=graphs(), seed=st.integers(min_value=0, max_value=1000))
def test_nodes_never_overlap_stay_inside_and_order_does_not_matter(
    graph: tuple[list[str], list[tuple[str, str]]], seed: int
) -> None:
    names, edges = graph
    layout = layout_graph(names, edges)
    _check_drawable(layout, names)
    shuffled_names, shuffled_edges = names[:], [(b, a) for a, b in edges]
    random.Random(seed).shuffle(shuffled_names)
    random.Random(seed).shuffle(shuffled_edges)
    assert layout_graph(shuffled_names, shuffled_edges) == layout


@settings(max_examples=40, deadline=None)
@given(graph=graphs(), data=st.data())
def test_expanding_keeps_every_placed_node_where_it_was(
    graph: tuple[list[str], list[tuple[str, str]]], data: st.DataObject
) -> None:
    names, edges = graph
    first = data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
    before = layout_graph(first, edges)
    after = layout_graph(names, edges, previous=before)
    _check_drawable(after, names)
    assert after.width >= before.width and after.height >= before.height
    for name in first:
        assert after.positions[name] == before.positions[name]


def test_a_star_gathers_its_leaves_about_the_centre() -> None:
    names = _names(13)
    centre, leaves = names[0], names[1:]
    # Two stars joined by nothing: each keeps its leaves near its own centre.
    other = [f"malware--00000000-0000-4000-8000-{i:012d}" for i in range(5)]
    edges = [(centre, leaf) for leaf in leaves] + [(other[0], o) for o in other[1:]]
    layout = layout_graph(names + other, edges)
    c = layout.positions[centre]
    for leaf in leaves:
        p = layout.positions[leaf]
        assert math.hypot(p.x - c.x, p.y - c.y) <= 3 * CELL, leaf
    far = sum(math.hypot(layout.positions[o].x - c.x, layout.positions[o].y - c.y) for o in other)
    near = sum(math.hypot(layout.positions[n].x - c.x, layout.positions[n].y - c.y) for n in leaves)
    assert far / len(other) > near / len(leaves)


def test_the_view_box_grows_with_the_nodes() -> None:
    small = layout_graph(_names(4), [])
    large = layout_graph(_names(400), [])
    assert small.width == 8 * CELL
    assert large.width >= math.sqrt(4 * 400) * CELL
    _check_drawable(large, _names(400))
