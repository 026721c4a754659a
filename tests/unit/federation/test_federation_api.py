"""``entente.federation.__all__`` is its complete public surface (conventions §3)."""

from __future__ import annotations

import types

import entente.federation


def test_all_names_every_public_attribute_and_nothing_else() -> None:
    public = {
        name
        for name, value in vars(entente.federation).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert set(entente.federation.__all__) == public
