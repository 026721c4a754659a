"""The atheris harness over the parser and readers runs in CI for a bounded time, crash-free.

``FUZZ_SECONDS`` (default 20) bounds the run; ``make fuzz`` runs it for ten minutes. A crash
fails the test with libFuzzer's report, and its reproducer (``crash-*``) is kept under the
test's temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fuzz.seeds import write_seeds

pytestmark = pytest.mark.integration

HARNESS = Path(__file__).with_name("fuzz_readers.py")


def test_the_readers_survive_a_bounded_fuzzing_run(tmp_path: Path) -> None:
    seconds = int(os.environ.get("FUZZ_SECONDS", "20"))
    seeds, corpus = tmp_path / "seeds", tmp_path / "corpus"
    assert write_seeds(seeds) > 100
    corpus.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-max_total_time={seconds}",
            "-rss_limit_mb=2048",
            "-timeout=30",
            "-max_len=131072",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
            str(seeds),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 300,
        check=False,
    )
    report = done.stderr[-6000:]
    assert done.returncode == 0, report
    # It really ran: libFuzzer says how many inputs it executed.
    assert "Done " in report and " runs in " in report, report
