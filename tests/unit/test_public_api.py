"""Each package's ``__all__`` is its complete public surface (conventions §3)."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "entente.stix",
    "entente.store",
    "entente.ingest",
    "entente.services",
    "entente.errors",
    "entente.clock",
    "entente.matching",
    "entente.export",
    "entente.scoring",
    "entente.accounts",
    "entente.charts",
    "entente.graph",
    "entente.attribution",
    "entente.evidence",
    "entente.cases",
    "entente.advisory",
    "entente.approvals",
    "entente.abuse",
    "entente.preservation",
]


def _imported_from_elsewhere(value: object) -> bool:
    """Classes and functions a module merely imports from outside Entente."""
    if not callable(value) or isinstance(value, types.GenericAlias):
        # A type alias such as ``Callable[[...], X]`` defined here is this module's own name.
        return False
    return not str(getattr(value, "__module__", "")).startswith("entente")


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_every_public_attribute_and_nothing_else(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    for attr in exported:  # a package may load its names on first use (PEP 562)
        getattr(module, attr)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)
        and attr != "annotations"
        and not _imported_from_elsewhere(value)
    }
    assert exported == public
    for attr in exported:
        assert hasattr(module, attr)
