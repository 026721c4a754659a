"""Commands that do not read logs do not pay for the libraries that do at start-up."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_cli_imports_no_duckdb_pyarrow_or_numpy() -> None:
    code = (
        "import sys, entente.cli.main\n"
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
