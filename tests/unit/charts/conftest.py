"""Helpers for the chart tests: golden files and a parser that reads the SVG back.

Run the tests with ``ENTENTE_REGENERATE_GOLDEN=1`` to write the golden files afresh, then
review the diff (as the export renderers' tests do).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
REGENERATE_ENV = "ENTENTE_REGENERATE_GOLDEN"
SVG = "{http://www.w3.org/2000/svg}"


def check_golden(name: str, svg: str) -> None:
    """Assert ``svg`` equals ``golden/<name>``, or write it there when regenerating."""
    path = GOLDEN / name
    data = svg.encode("utf-8") + b"\n"
    if os.environ.get(REGENERATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.exists(), f"no golden file {path}; run with {REGENERATE_ENV}=1 to write it"
    assert data == path.read_bytes(), f"{name} differs from its golden file"


def parse(svg: str) -> ET.Element:
    """The SVG as an XML tree: it must be well-formed, or this raises."""
    return ET.fromstring(svg)


def elements(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    """The ``tag`` elements of class ``cls``, in document order."""
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == cls]


def title_of(element: ET.Element) -> str:
    """The text of an element's own ``<title>``."""
    title = element.find(f"{SVG}title")
    assert title is not None, f"{element.tag} has no <title>"
    return title.text or ""


def no_script(svg: str) -> None:
    """Assert nothing in the SVG could run: no script element, no event attribute."""
    root = parse(svg)
    for element in root.iter():
        assert not element.tag.endswith("script")
        assert not any(name.lower().startswith("on") for name in element.attrib)
        assert "javascript:" not in " ".join(element.attrib.values()).lower()
