"""SVG text building blocks: escaping, numbers, the document and the empty state.

Output is deterministic (no ids drawn at random, fixed number formatting), so charts can be
compared with golden files. Text is escaped for XML (XML 1.0 §2.4: ``<`` and ``&`` in
character data, plus quotes inside attribute values), and characters XML 1.0 §2.2 does not
allow at all are dropped: the value may come from a partner.
"""

from __future__ import annotations

import re
from html import escape as _html_escape

__all__ = ["document", "empty_state", "escape", "number", "shorten"]

# XML 1.0 §2.2 Char: tab, newline, carriage return and U+0020 upwards, without surrogates
# and U+FFFE/U+FFFF.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """``text`` safe inside an SVG element or a double- or single-quoted attribute value."""
    return _html_escape(_NOT_XML_CHAR.sub("", text), quote=True)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis last when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (``12``, ``3.5``)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def document(width: int, height: int, label: str, body: str) -> str:
    """An SVG document of that size whose accessible name and ``<title>`` are ``label``.

    ``role="img"`` with ``aria-label`` makes assistive technology announce the chart as one
    image with that name (WAI-ARIA Graphics Module §4, SVG Accessibility API Mappings).
    """
    name = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{name}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{name}</title>{body}</svg>'
    )


def empty_state(width: int, height: int, label: str) -> str:
    """A chart of nothing: its frame and the words "no data", centred."""
    return document(
        width,
        height,
        f"{label}: no data",
        f'<text class="chart-empty" x="{number(width / 2)}" y="{number(height / 2)}" '
        f'text-anchor="middle" dominant-baseline="middle">no data</text>',
    )
