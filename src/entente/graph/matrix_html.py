"""The ATT&CK matrix as an HTML table: tactics as column headers, techniques shaded by count.

A real ``<table>`` (HTML §4.9) so screen readers announce each technique with its tactic:
every cell names its column header (``headers``), the caption says what the shading means,
and the count is written as text beside the shade, never conveyed by colour alone (WCAG 2.2
SC 1.4.1). Names come from whoever published the data: every one is escaped.
"""

from __future__ import annotations

from entente.graph.escape import escape_text
from entente.graph.matrix import AttackMatrix, MatrixTechnique
from entente.graph.svg import object_href

__all__ = ["SHADES", "render_matrix_html", "shade_of"]

# Shades above zero: a count is in shade ceil(SHADES * count / max_count).
SHADES = 4


def shade_of(count: int, max_count: int) -> int:
    """The shade of ``count`` (0: unused; 1 to ``SHADES``: quarters of the largest count)."""
    if count <= 0 or max_count <= 0:
        return 0
    return min(SHADES, -(-SHADES * count // max_count))


def _users(count: int) -> str:
    return f"{count} user" if count == 1 else f"{count} users"


def _technique(t: MatrixTechnique) -> str:
    return (
        f'<a href="{escape_text(object_href(t.id))}">{escape_text(t.name)}</a> '
        f'<span class="attack-id">{escape_text(t.external_id)}</span> '
        f'<span class="count">{_users(t.count)}</span>'
    )


def _legend(max_count: int) -> str:
    items = ['<li><span class="swatch shade-0"></span> not used</li>']
    for shade in range(1, SHADES + 1):
        low = (shade - 1) * max_count // SHADES + 1
        high = shade * max_count // SHADES
        if low > high:
            continue  # no count falls in this shade
        span = _users(low) if low == high else f"{low}–{high} users"
        items.append(f'<li><span class="swatch shade-{shade}"></span> {span}</li>')
    return (
        '<ul class="matrix-legend" aria-label="Shading: users of each technique">'
        + "".join(items)
        + "</ul>"
    )


def render_matrix_html(matrix: AttackMatrix) -> str:
    """The matrix as a table (one column per tactic) followed by its legend."""
    prefix = f"matrix-{escape_text(matrix.domain)}"
    techniques = sum(len(t.techniques) for t in matrix.tactics)
    parts = [
        f'<table class="attack-matrix" id="{prefix}">',
        f"<caption>{escape_text(matrix.name)}: {techniques} techniques by tactic, "
        "shaded by how many campaigns, incidents, intrusion sets, malware, tools, threat "
        "actors and reports held here use each</caption>",
        "<thead><tr>",
    ]
    for i, tactic in enumerate(matrix.tactics):
        parts.append(
            f'<th scope="col" id="{prefix}-tactic-{i}">{escape_text(tactic.name)} '
            f'<span class="tactic-size">{len(tactic.techniques)} techniques</span></th>'
        )
    parts.append("</tr></thead><tbody>")
    depth = max((len(t.techniques) for t in matrix.tactics), default=0)
    for row in range(depth):
        parts.append("<tr>")
        for i, tactic in enumerate(matrix.tactics):
            if row >= len(tactic.techniques):
                parts.append(f'<td headers="{prefix}-tactic-{i}"></td>')
                continue
            t = tactic.techniques[row]
            cell = [
                f'<td headers="{prefix}-tactic-{i}" '
                f'class="technique shade-{shade_of(t.count, matrix.max_count)}">',
                _technique(t),
            ]
            if t.subtechniques:
                cell.append('<ul class="subtechniques">')
                cell.extend(
                    f'<li class="shade-{shade_of(s.count, matrix.max_count)}">{_technique(s)}</li>'
                    for s in t.subtechniques
                )
                cell.append("</ul>")
            cell.append("</td>")
            parts.append("".join(cell))
        parts.append("</tr>")
    parts.append("</tbody></table>")
    parts.append(_legend(matrix.max_count))
    return "".join(parts)
