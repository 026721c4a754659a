"""How the CLI speaks: JSON on stdout for scripts, Rich on stderr for people, exit codes."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import orjson
import typer

from entente.errors import (
    AuthenticationFailed,
    ConfigurationError,
    EntenteError,
    InvalidInput,
    ObjectNotFound,
)

__all__ = [
    "ExitCode",
    "console",
    "err_console",
    "fail",
    "print_json",
    "print_verification",
    "reporting_errors",
    "run_command",
]

if TYPE_CHECKING:
    from rich.console import Console

    from entente.evidence.verify import Report

    console: Console
    err_console: Console

_consoles: dict[str, Console] = {}


def __getattr__(name: str) -> Console:
    """``console`` (stdout) and ``err_console`` (stderr), made on first use.

    Rich's console costs ~0.1 s of imports: a command that prints only JSON (``stats
    --json``) does not pay it (bench/cli_startup.py). PEP 562 module ``__getattr__``.
    """
    if name not in ("console", "err_console"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _consoles:
        from rich.console import Console

        _consoles[name] = Console(stderr=name == "err_console")
    return _consoles[name]


class ExitCode(enum.IntEnum):
    """Architecture §6 exit codes."""

    OK = 0
    PARTIAL = 1
    INPUT = 2
    INTERNAL = 3


def say(text: str, *, err: bool = False) -> None:
    """Print ``text`` as it is (no Rich markup or highlighting: ids and user text may hold
    brackets), on stdout or, with ``err``, stderr."""
    __getattr__("err_console" if err else "console").print(text, highlight=False, markup=False)


def print_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def print_verification(report: Report, name: str, *, as_json: bool) -> int:
    """Print an offline verification (an evidence package's, an advisory's): every check as
    one JSON document, or one line per check and the verdict; the exit code it deserves."""
    if as_json:
        print_json(
            {
                "passed": report.passed,
                "checks": [
                    {"subject": c.subject, "passed": c.passed, "detail": c.detail}
                    for c in report.checks
                ],
            }
        )
    else:
        # Names come from the package: printed as text, never as Rich markup, one per line.
        out, err = __getattr__("console"), __getattr__("err_console")
        for check in report.checks:
            line = f"{'ok    ' if check.passed else 'FAILED'}  {check.subject}: {check.detail}"
            (out if check.passed else err).print(
                line, highlight=False, markup=False, soft_wrap=True
            )
        verdict = "verified" if report.passed else f"{len(report.failures)} check(s) failed"
        out.print(f"{name}: {verdict}", highlight=False, markup=False)
    return int(ExitCode.OK if report.passed else ExitCode.PARTIAL)


def fail(message: str, code: ExitCode) -> NoReturn:
    """Say what went wrong on stderr and exit with ``code``."""
    __getattr__("err_console").print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(int(code))


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Map the exception tree to exit codes (conventions §9): only the CLI does this."""
    try:
        yield
    except typer.Exit:
        raise
    except (InvalidInput, ObjectNotFound, ConfigurationError, AuthenticationFailed) as exc:
        fail(str(exc), ExitCode.INPUT)
    except EntenteError as exc:
        fail(f"internal error: {exc}", ExitCode.INTERNAL)
    except Exception as exc:  # the last line of defence: exit 3, not a bare traceback
        __getattr__("err_console").print_exception()
        fail(f"internal error: {exc!r}", ExitCode.INTERNAL)


def run_command(body: Callable[[], int | None]) -> None:
    """Run a command body under ``reporting_errors`` and exit with what it returns."""
    with reporting_errors():
        code = body()
    if code:
        raise typer.Exit(code)
