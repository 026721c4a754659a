"""``entente.scoring``'s ``__all__`` is its complete public surface (conventions §3)."""

from __future__ import annotations

import types

import entente.scoring


def test_all_names_every_public_attribute_and_nothing_else() -> None:
    public = {
        name
        for name, value in vars(entente.scoring).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert set(entente.scoring.__all__) == public


def test_scoring_does_not_import_numpy_or_its_sibling_packages() -> None:
    import subprocess
    import sys

    code = (
        "import sys, entente.scoring; "
        "bad = [m for m in ('numpy', 'entente.matching', 'entente.export', 'entente.store') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
