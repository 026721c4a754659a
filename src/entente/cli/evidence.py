"""``entente evidence verify PACKAGE``: check an evidence package offline and name what failed.

Nothing here touches the network or the node's store: a recipient without Entente's server (a
court, a foreign agency) runs it on the package alone. Exit 0 when every check passes, 1 when
any fails (each failure named on stderr), 2 when the package cannot be read at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entente.cli.output import ExitCode, console, err_console, print_json, run_command
from entente.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(help="Verify evidence packages offline.", no_args_is_help=True)


@app.command("verify")
def verify(
    package: Annotated[
        Path, typer.Argument(metavar="PACKAGE", help="The package's .tar file.", show_default=False)
    ],
    node_key: Annotated[
        str | None,
        typer.Option(
            "--node-key",
            help="The sending node's key (ed25519:...), if known: the package's trust root "
            "must name it as the node's key.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check digests, signatures and threshold, timestamp, custody chain, CASE and STIX."""

    def body() -> int:
        from entente.evidence.case_validation import run_case_validate
        from entente.evidence.verify import verify_package
        from entente.federation.keys import parse_public_key

        expected = parse_public_key(node_key) if node_key is not None else None
        try:
            data = package.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {package}: {exc.strerror}") from exc
        report = verify_package(data, case_validator=run_case_validate, expected_node_key=expected)
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
            for check in report.checks:
                line = f"{'ok    ' if check.passed else 'FAILED'}  {check.subject}: {check.detail}"
                (console if check.passed else err_console).print(
                    line, highlight=False, markup=False, soft_wrap=True
                )
            verdict = "verified" if report.passed else f"{len(report.failures)} check(s) failed"
            console.print(f"{package.name}: {verdict}", highlight=False, markup=False)
        return int(ExitCode.OK if report.passed else ExitCode.PARTIAL)

    run_command(body)
