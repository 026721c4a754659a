"""``entente evidence export CASE --for ORG`` writes a case's evidence package;
``entente evidence verify PACKAGE`` checks one offline and names what failed.

Nothing here touches the network or the node's store: a recipient without Entente's server (a
court, a foreign agency) runs it on the package alone. Exit 0 when every check passes, 1 when
any fails (each failure named on stderr), 2 when the package cannot be read at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entente.cli.output import (
    console,
    print_verification,
    run_command,
)
from entente.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(help="Export evidence packages and verify them offline.", no_args_is_help=True)


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
        return print_verification(report, package.name, as_json=as_json)

    run_command(body)


@app.command("export")
def export(
    case_id: Annotated[str, typer.Argument(metavar="CASE", help="The case's id (grouping--...).")],
    recipient: Annotated[
        str,
        typer.Option(
            "--for", help="The recipient org: its name or identity id (an agreement party)."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the package (default CASE.tar).")
    ] = None,
) -> None:
    """Write the case's evidence package for one org: only what its agreement allows, signed
    by this node and timestamped by the configured TSA (tsa_url, tsa_chain_file)."""

    def body() -> int:
        from entente.bootstrap import case_evidence, tsa_config
        from entente.cli.context import cli_principal, node
        from entente.services import node_org_id
        from entente.services.atomic_files import write_atomically
        from entente.services.ownership import operator_principal

        org = recipient if recipient.startswith("identity--") else node_org_id(recipient)
        target = out or Path(f"{case_id}.tar")
        with node() as opened:
            settings = opened.settings
            tsa = tsa_config(settings)
            principal = operator_principal(cli_principal(), node_org_id(settings.org_name))
            package = case_evidence(opened).export(
                principal, case_id, org, recipient_name=recipient, tsa=tsa, channel="cli"
            )
        write_atomically(target, package, "evidence package")
        console.print(f"wrote {target} ({len(package)} bytes) for {recipient}", highlight=False)
        return 0

    run_command(body)
