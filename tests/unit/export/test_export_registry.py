"""The registry of export formats: names, and the media type and file name each renderer gives."""

from __future__ import annotations

import importlib

import pytest

from entente.export import RENDERERS, ExportContext, ExportItem, ItemKind, ItemOp, LeftOutReason

CONTEXT = ExportContext(generated_at="2026-11-26T12:00:00.000Z", producer="US CERT", serial=1)
ITEMS = (
    ExportItem("indicator--a0000000-0000-4000-8000-000000000001", ItemKind.IP, ItemOp.EQUALS,
               "185.220.101.7", 80),
    ExportItem("indicator--a0000000-0000-4000-8000-000000000001", ItemKind.DOMAIN,
               ItemOp.EQUALS, "evil.example", 80),
    ExportItem("indicator--a0000000-0000-4000-8000-000000000002", ItemKind.SHA256,
               ItemOp.EQUALS, "ab" * 32, 60),
)  # fmt: skip


def test_the_formats_are_named_as_the_cli_and_feeds_spell_them() -> None:
    assert list(RENDERERS) == [
        "suricata",
        "zeek",
        "rpz",
        "nftables",
        "edl-addresses",
        "edl-domains",
        "edl-urls",
        "csv",
        "stix",
        "yara",
    ]
    assert all(name == renderer.name for name, renderer in RENDERERS.items())


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_the_registry_names_what_each_renderer_gives(fmt: str) -> None:
    renderer = RENDERERS[fmt]
    for items in ((), ITEMS):
        rendered = renderer.render(items, CONTEXT)
        assert (rendered.media_type, rendered.filename) == (renderer.media_type, renderer.filename)
        written = rendered.count > 0
        left = {entry.value for entry in rendered.left_out}
        # Every item is written or left out with a reason, never dropped silently.
        assert written or len(left) == len(items)
        assert all(entry.reason is LeftOutReason.UNSUPPORTED for entry in rendered.left_out)


def test_all_names_the_public_surface() -> None:
    module = importlib.import_module("entente.export")
    assert set(module.__all__) == {
        "RENDERERS",
        "CompanionFunction",
        "ExportContext",
        "ExportItem",
        "ItemKind",
        "ItemOp",
        "LeftOut",
        "LeftOutReason",
        "RenderFunction",
        "Rendered",
        "Renderer",
    }
    for name in module.__all__:
        assert hasattr(module, name)
