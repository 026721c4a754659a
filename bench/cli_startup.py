"""Benchmark: wall time of ``entente`` commands from process start to exit.

Runs each command ``--runs`` times (default 20; ``--quick`` 10) as a fresh process, as a user
would, and prints the median and 95th percentile against the 0.3 s start-up target (issue 12):

- ``entente --help`` and ``entente --version``: Typer and ``entente.cli.main`` only;
- ``entente stats`` and ``entente stats --json`` on a node initialised once beforehand
  (``entente init``, SQLite): its store, and nothing of sync, serve or matching;
- ``entente search QUERY --json`` when this checkout has the command.

Baselines, measured the same way: the bare interpreter (``python -c pass``), and
``import typer`` (the floor of any Typer CLI). The environment is this process's, so a
``PYTHONDONTWRITEBYTECODE=1`` shell measures what such a shell gets; whether the installed
packages and the project carry compiled bytecode (``make setup`` compiles both) is printed
with the figures.

    python bench/cli_startup.py            # 20 runs per command
    python bench/cli_startup.py --quick    # 10 runs per command

The last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

from entente.cli import main as cli_main

TARGET_S = 0.3


def entente_command() -> list[str]:
    """How to run the ``entente`` CLI of this environment."""
    script = Path(sys.executable).parent / "entente"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from entente.cli.main import app; app()"]


def time_runs(argv: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    """Median and p95 wall seconds of ``runs`` runs of ``argv`` (each must exit 0), and the
    median CPU seconds (user + system) of the process: on a shared machine the wall time
    includes waiting for a core, the CPU time much less so."""
    seconds: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        seconds.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    median = statistics.median(seconds)
    return {
        "median_s": round(median, 4),
        "p95_s": round(p95, 4),
        "min_s": round(seconds[0], 4),
        "cpu_median_s": round(statistics.median(cpu), 4),
        "ratio_to_target": round(median / TARGET_S, 3),
    }


def has_search() -> bool:
    """Whether this checkout's CLI has an ``entente search`` command."""
    return any(spec.name == "search" for spec in cli_main.COMMANDS)


def bytecode_compiled(module_file: str) -> bool:
    """Whether a module's package has compiled bytecode next to it (``make setup`` makes it)."""
    cache = Path(module_file).parent / "__pycache__"
    return cache.is_dir() and any(cache.glob("main.*.pyc"))


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 runs per command")
    parser.add_argument("--runs", type=int, help="runs per command (default 20)")
    args = parser.parse_args()
    runs = max(1, args.runs or (10 if args.quick else 20))
    entente = entente_command()
    figures: dict[str, Any] = {
        "runs": runs,
        "target_s": TARGET_S,
        "typer_bytecode_compiled": bytecode_compiled(typer.__file__),
        "entente_bytecode_compiled": bytecode_compiled(cli_main.__file__),
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }
    with tempfile.TemporaryDirectory(prefix="entente-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")}
        env["ENTENTE_HOME"] = str(Path(tmp) / "home")
        subprocess.run([*entente, "init", "--json"], env=env, capture_output=True, check=True)
        cases: dict[str, list[str]] = {
            "help": [*entente, "--help"],
            "version": [*entente, "--version"],
            "stats": [*entente, "stats"],
            "stats_json": [*entente, "stats", "--json"],
        }
        if has_search():
            cases["search_json"] = [*entente, "search", "198.51.100.7", "--json"]
        baselines = {
            "python": [sys.executable, "-c", "pass"],
            "import_typer": [sys.executable, "-c", "import typer"],
        }
        figures["baselines"] = {
            name: time_runs(argv, env, runs) for name, argv in baselines.items()
        }
        typer_s = figures["baselines"]["import_typer"]["median_s"]
        figures["commands"] = {}
        for name, argv in cases.items():
            figures["commands"][name] = result = time_runs(argv, env, runs)
            result["ratio_to_import_typer"] = round(result["median_s"] / typer_s, 3)
            print(
                f"{name:12} median {result['median_s'] * 1000:7.1f} ms  "
                f"p95 {result['p95_s'] * 1000:7.1f} ms  "
                f"cpu {result['cpu_median_s'] * 1000:7.1f} ms  "
                f"{result['ratio_to_target']:.2f}x the {TARGET_S} s target",
                file=sys.stderr,
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
