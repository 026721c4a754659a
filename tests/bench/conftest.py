"""The benchmarks' modules (``bench/``) importable by these tests, as the scripts import them."""

from __future__ import annotations

import sys
from pathlib import Path

# The bench scripts import their siblings by plain name (they run as ``python bench/x.py``).
_BENCH = str(Path(__file__).resolve().parents[2] / "bench")
if _BENCH not in sys.path:
    sys.path.insert(0, _BENCH)
