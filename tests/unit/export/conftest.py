"""Helpers for the export renderers' tests: real checkers, and golden files.

* :func:`require_tool` finds a checker (``named-checkzone``, ``nft``, ``yara``) on ``PATH``.
  Without it the test is skipped, except under ``CI=true`` where it fails: CI must run every
  checker (as ``tests/conftest.py`` does for PostgreSQL). ``.ci/run`` installs them.
* :func:`check_golden` compares a rendering with its golden file under ``golden/``. Run the
  tests with ``ENTENTE_REGENERATE_GOLDEN=1`` to write the golden files afresh instead, then
  review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
REGENERATE_ENV = "ENTENTE_REGENERATE_GOLDEN"


def require_tool(name: str) -> str:
    """The path of the checker ``name``; skips the test when it is missing (fails on CI)."""
    path = shutil.which(name)
    if path is None:
        message = (
            f"{name} is not installed (apt-get install bind9-utils nftables yara); "
            "CI=true makes this a failure"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def check_golden(name: str, data: bytes) -> None:
    """Assert ``data`` equals ``golden/<name>``, or write it there under
    ``ENTENTE_REGENERATE_GOLDEN=1``."""
    path = GOLDEN / name
    if os.environ.get(REGENERATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.exists(), f"no golden file {path}; run with {REGENERATE_ENV}=1 to write it"
    assert data == path.read_bytes(), (
        f"{name} differs from its golden file; if the change is intended, run with "
        f"{REGENERATE_ENV}=1 and review the diff"
    )
