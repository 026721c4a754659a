"""A deterministic force-directed layout, snapped to a grid of cells so nodes never overlap.

Fruchterman and Reingold, "Graph Drawing by Force-directed Placement" (Software: Practice and
Experience 21(11), 1991): neighbours attract with ``d²/k``, nodes repel with ``k²/d``, moves
are capped by a temperature that cools; repulsion is counted only within ``2k`` through their
grid variant (§4), so an iteration is about linear in the nodes, not quadratic. The result is
snapped to cells of ``CELL`` units (each node the free cell nearest where the forces left it):
distinct cells cannot overlap, and every cell lies inside the view box.

Determinism: nodes and edges are sorted first, the first placement of a node comes from its
placed neighbours and a CRC-32 of ids (not Python's salted ``hash``), and no randomness is
used, so the same graph gives the same picture whatever order it was given in. Expansion:
nodes of ``previous`` keep their positions (they are fixed during the forces and hold their
cells); only the new nodes move, and the view box only grows.
"""

from __future__ import annotations

import math
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["CELL", "NODE_RADIUS", "Layout", "Point", "layout_graph"]

# Every node's shape fits in a circle of this radius (graph.svg draws to it).
NODE_RADIUS = 18.0
# Side of a grid cell: two radii and a gap, so nodes in distinct cells never touch.
CELL = 2 * NODE_RADIUS + 12.0
# The smallest view box, in cells per side; it grows so that there are 4 cells per node.
_MIN_CELLS = 8
# Ideal edge length of the forces (FR's ``k``), in units.
_K = CELL * 1.5
# The golden angle: successive nodes around one anchor never line up.
_GOLDEN = math.pi * (3.0 - math.sqrt(5.0))


@dataclass(frozen=True, slots=True)
class Point:
    """A node's centre in view-box units (origin top left, as SVG)."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each node is drawn, in a ``width`` by ``height`` view box from the origin."""

    width: float
    height: float
    positions: Mapping[str, Point]


def _phase(name: str) -> float:
    """A fixed angle of one id (CRC-32: the same in every process, unlike ``hash``)."""
    return zlib.crc32(name.encode("utf-8")) / 2**32 * 2 * math.pi


def _clamp(value: float, size: float) -> float:
    return min(max(value, NODE_RADIUS), size - NODE_RADIUS)


def _adjacency(
    names: Sequence[str], edges: Sequence[tuple[str, str]]
) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Sorted neighbours of each node, and the distinct undirected edges between known nodes."""
    known = set(names)
    pairs = sorted(
        {(min(a, b), max(a, b)) for a, b in edges if a != b and a in known and b in known}
    )
    adjacency: dict[str, list[str]] = {name: [] for name in names}
    for a, b in pairs:
        adjacency[a].append(b)
        adjacency[b].append(a)
    for neighbours in adjacency.values():
        neighbours.sort()
    return adjacency, pairs


def _initial(
    free: Sequence[str],
    adjacency: Mapping[str, Sequence[str]],
    pos: dict[str, list[float]],
    size: float,
) -> list[str]:
    """Place each free node beside its first placed neighbour (breadth first from the
    placed nodes); a node of a part with nothing placed starts on a spiral about the centre.
    Returns the free nodes in the order they were placed."""
    remaining = set(free)
    around: dict[str, int] = {}
    order: list[str] = []
    frontier: deque[str] = deque(sorted(pos))
    parts = 0
    centre = size / 2
    while remaining:
        if not frontier:
            root = min(remaining, key=lambda n: (-len(adjacency[n]), n))
            if pos or parts:
                angle = parts * _GOLDEN
                radius = size * 0.3 * math.sqrt((parts + 1) / (parts + 2))
                spot = [centre + radius * math.cos(angle), centre + radius * math.sin(angle)]
            else:
                spot = [centre, centre]
            pos[root] = [_clamp(spot[0], size), _clamp(spot[1], size)]
            remaining.discard(root)
            order.append(root)
            frontier.append(root)
            parts += 1
        anchor = frontier.popleft()
        ax, ay = pos[anchor]
        for neighbour in adjacency[anchor]:
            if neighbour not in remaining:
                continue
            k = around.get(anchor, 0)
            around[anchor] = k + 1
            angle = _phase(anchor) + k * _GOLDEN
            radius = _K * (1.0 + 0.35 * math.sqrt(k))
            pos[neighbour] = [
                _clamp(ax + radius * math.cos(angle), size),
                _clamp(ay + radius * math.sin(angle), size),
            ]
            remaining.discard(neighbour)
            order.append(neighbour)
            frontier.append(neighbour)
    return order


def _relax(
    free: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    pos: dict[str, list[float]],
    size: float,
    iterations: int,
) -> None:
    """Move the free nodes by the forces, the fixed ones staying where they are."""
    moving = set(free)
    reach = 2 * _K
    everyone = sorted(pos)
    start = size / 10
    for step in range(iterations):
        temperature = max(start * (1 - step / iterations), 1.0)
        buckets: dict[tuple[int, int], list[str]] = {}
        for name in everyone:
            x, y = pos[name]
            buckets.setdefault((int(x // reach), int(y // reach)), []).append(name)
        shift = {name: [0.0, 0.0] for name in free}
        for name in free:
            x, y = pos[name]
            bx, by = int(x // reach), int(y // reach)
            push = shift[name]
            for gx in (bx - 1, bx, bx + 1):
                for gy in (by - 1, by, by + 1):
                    for other in buckets.get((gx, gy), ()):
                        if other == name:
                            continue
                        dx, dy = x - pos[other][0], y - pos[other][1]
                        d2 = dx * dx + dy * dy
                        if d2 >= reach * reach:
                            continue
                        if d2 < 1e-6:  # on top of each other: part them by their ids
                            dx, dy, d2 = (0.01 if name < other else -0.01), 0.0, 1e-4
                        # k²/d along the unit vector (dx/d, dy/d).
                        force = _K * _K / d2
                        push[0] += dx * force
                        push[1] += dy * force
        for a, b in pairs:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            d = math.hypot(dx, dy)
            if d < 1e-9:
                continue
            # d²/k along the unit vector: pulls the two ends together.
            force = d / _K
            if a in moving:
                shift[a][0] -= dx * force
                shift[a][1] -= dy * force
            if b in moving:
                shift[b][0] += dx * force
                shift[b][1] += dy * force
        for name in free:
            sx, sy = shift[name]
            length = math.hypot(sx, sy)
            if length < 1e-9:
                continue
            scale = min(length, temperature) / length
            point = pos[name]
            point[0] = _clamp(point[0] + sx * scale, size)
            point[1] = _clamp(point[1] + sy * scale, size)


def _cell_of(x: float, y: float, cells: int) -> tuple[int, int]:
    return min(max(int(x // CELL), 0), cells - 1), min(max(int(y // CELL), 0), cells - 1)


def _centre(cell: tuple[int, int]) -> Point:
    return Point((cell[0] + 0.5) * CELL, (cell[1] + 0.5) * CELL)


def _snap(
    order: Sequence[str],
    pos: Mapping[str, Sequence[float]],
    taken: set[tuple[int, int]],
    cells: int,
) -> dict[str, Point]:
    """Each free node (in ``order``) to the free cell nearest its position, ring by ring."""
    placed: dict[str, Point] = {}
    for name in order:
        x, y = pos[name]
        ci, cj = _cell_of(x, y, cells)
        for ring in range(cells):
            candidates = [
                (i, j)
                for i in range(max(ci - ring, 0), min(ci + ring, cells - 1) + 1)
                for j in range(max(cj - ring, 0), min(cj + ring, cells - 1) + 1)
                if max(abs(i - ci), abs(j - cj)) == ring and (i, j) not in taken
            ]
            if candidates:
                best = min(
                    candidates,
                    key=lambda c: ((_centre(c).x - x) ** 2 + (_centre(c).y - y) ** 2, c),
                )
                taken.add(best)
                placed[name] = _centre(best)
                break
    return placed


def layout_graph(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    previous: Layout | None = None,
    iterations: int = 60,
) -> Layout:
    """Positions for ``nodes`` joined by ``edges`` (pairs of node ids; others are ignored).

    ``previous``: a layout this function returned for part of the graph; its nodes keep their
    positions, and the view box is at least as large. Nodes of ``previous`` absent from
    ``nodes`` are dropped.
    """
    names = sorted(set(nodes))
    adjacency, pairs = _adjacency(names, edges)
    kept = {n: previous.positions[n] for n in names if previous and n in previous.positions}
    cells = max(_MIN_CELLS, math.ceil(math.sqrt(4 * len(names))))
    if previous is not None:
        cells = max(cells, round(previous.width / CELL), round(previous.height / CELL))
    size = cells * CELL
    free = [n for n in names if n not in kept]
    pos: dict[str, list[float]] = {n: [p.x, p.y] for n, p in kept.items()}
    order = _initial(free, adjacency, pos, size)
    _relax(free, pairs, pos, size, iterations)
    taken = {_cell_of(p.x, p.y, cells) for p in kept.values()}
    positions = dict(kept)
    positions.update(_snap(order, pos, taken, cells))
    return Layout(size, size, positions)
