"""The sample joint advisory in ``docs/advisory/``: its Markdown, its PDF and page images.

Built from the tests' real data (``tests/unit/advisory/sample.py``: the Triton campaign of
ATT&CK for ICS v18.1 and indicators of the OASIS Poison Ivy example) by the same code as
``entente advisory new``, then rendered by poppler's ``pdftoppm -png -r 60`` (apt-get install
poppler-utils), as the advisory tests do.

    .venv/bin/python docs/advisory_sample.py               # into docs/advisory/
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Write the sample advisory and the images of its first two pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "advisory")
    out: Path = parser.parse_args().out
    sys.path.insert(0, str(ROOT))
    from tests.unit.advisory.sample import attack_data, draft, selection

    from entente.advisory import build_advisory, render_markdown, render_pdf
    from entente.stix import Tlp

    advisory = build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample-advisory.md").write_text(render_markdown(advisory), encoding="utf-8")
    (out / "sample-advisory.pdf").write_bytes(render_pdf(advisory))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2",
         str(out / "sample-advisory.pdf"), str(out / "page")],
        check=True,
    )  # fmt: skip
    for image in sorted(out.glob("page-*.png")):
        print(image)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
