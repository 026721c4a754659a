"""Run ``case_validate`` (PyPI ``case-utils``) on a CASE JSON-LD document, offline.

``case_validate`` ships the CASE/UCO ontologies it checks against (``--built-version``), so it
needs no network. It exits 0 when the graph conforms, 1 when it does not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["case_validator", "find_case_validate", "run_case_validate"]

_TIMEOUT_S = 300


def find_case_validate() -> str | None:
    """The ``case_validate`` beside this Python (its virtual environment), else on PATH."""
    beside = Path(sys.executable).with_name("case_validate")
    return str(beside) if beside.is_file() else shutil.which("case_validate")


def case_validator(command: str | None) -> Callable[[bytes], str | None]:
    """A validator running ``command``; with none, every document fails as unvalidated."""

    def validate(document: bytes) -> str | None:
        if command is None:
            return "case_validate not installed (pip install case-utils)"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "case.jsonld"
            path.write_bytes(document)
            try:
                done = subprocess.run(
                    [command, "--allow-info", str(path)],
                    capture_output=True,
                    text=True,
                    timeout=_TIMEOUT_S,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"case_validate could not run: {exc}"
        if done.returncode == 0:
            return None
        lines = [line.strip() for line in done.stdout.splitlines() if "Message:" in line]
        return "case_validate: does not conform: " + (
            "; ".join(lines[:5]) or done.stderr.strip()[-500:] or f"exit {done.returncode}"
        )

    return validate


def run_case_validate(document: bytes) -> str | None:
    """``None`` if ``document`` conforms; otherwise what is wrong (or that the tool is absent)."""
    return case_validator(find_case_validate())(document)
