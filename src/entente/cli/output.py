"""How the CLI speaks: JSON on stdout for scripts, Rich on stderr for people, exit codes."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console

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
    "reporting_errors",
    "run_command",
]

console = Console()
err_console = Console(stderr=True)


class ExitCode(enum.IntEnum):
    """Architecture §6 exit codes."""

    OK = 0
    PARTIAL = 1
    INPUT = 2
    INTERNAL = 3


def print_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def fail(message: str, code: ExitCode) -> NoReturn:
    """Say what went wrong on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
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
        err_console.print_exception()
        fail(f"internal error: {exc!r}", ExitCode.INTERNAL)


def run_command(body: Callable[[], int | None]) -> None:
    """Run a command body under ``reporting_errors`` and exit with what it returns."""
    with reporting_errors():
        code = body()
    if code:
        raise typer.Exit(code)
