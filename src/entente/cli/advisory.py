"""``entente advisory new|cosign|verify|publish``: joint advisories drafted as this node's
operator, approved and co-signed by each co-author's node, verified offline by anyone,
published to a collection once approved.

``new`` writes the package (a deterministic tar: the STIX bundle, the Markdown and PDF
advisory, the trust root and the DSSE envelope signed by this node) into ``--out DIR`` beside
a copy of the Markdown and the PDF to read; with ``--collection`` it also asks every
co-authoring agency to approve publishing it there. ``cosign`` approves the advisory's request
(synced from the author's node) as this node's operator and adds this node's signature (it
must be a named co-author); the co-signed file goes back to the author. ``verify`` touches no
store and no network: exit 0 when every check passes, 1 when any fails (each named on
stderr), 2 when the package cannot be read. ``publish`` stores the report in the collection
only when every agency signed and approved (exit 2 with the reason otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entente.cli.output import (
    ExitCode,
    fail,
    print_verification,
    run_command,
    say,
)
from entente.errors import InvalidInput, PermissionDenied

__all__ = ["app"]

app = typer.Typer(
    help="Draft joint advisories, co-sign them and verify them offline.", no_args_is_help=True
)


def _run(body: Callable[[], int | None]) -> None:
    """``run_command``, with a refusal (not approved, not allowed) an input error: exit 2."""

    def guarded() -> int | None:
        try:
            return body()
        except PermissionDenied as exc:
            fail(str(exc), ExitCode.INPUT)

    run_command(guarded)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc


@app.command("new")
def new(
    *,
    title: Annotated[str, typer.Option("--title", help="The advisory's title.")],
    summary: Annotated[str, typer.Option("--summary", help="The Summary section's text.")],
    out: Annotated[Path, typer.Option("--out", help="The directory to write the package to.")],
    case_id: Annotated[
        str | None, typer.Option("--case", help="A case whose references it reports on.")
    ] = None,
    object_ids: Annotated[
        list[str] | None, typer.Option("--object", help="An object to report on (repeatable).")
    ] = None,
    coauthors: Annotated[
        list[str] | None,
        typer.Option("--coauthor", help="A co-authoring partner's local name (repeatable)."),
    ] = None,
    details: Annotated[
        str, typer.Option("--details", help="The Technical Details section's text.")
    ] = "",
    mitigations: Annotated[
        list[str] | None,
        typer.Option("--mitigation", help="A mitigation of the analysts' own (repeatable)."),
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection", help="Ask every agency to approve publishing it to this collection."
        ),
    ] = None,
) -> None:
    """Draft an advisory from a case or chosen objects (what this node's operator may see),
    signed by this node; each co-author then runs ``entente advisory cosign``."""

    def body() -> int:
        from entente.advisory import read_predicate
        from entente.bootstrap import advisories, advisory_publication
        from entente.cli.context import node, operator
        from entente.evidence.tarball import read_tar
        from entente.services.advisories import AdvisoryRequest
        from entente.services.atomic_files import write_atomically

        request = AdvisoryRequest(
            title=title,
            summary=summary,
            technical_details=details,
            coauthors=tuple(coauthors or ()),
            case_id=case_id,
            object_ids=tuple(object_ids or ()),
            mitigations=tuple(mitigations or ()),
        )
        with node() as opened:
            principal = operator(opened)
            package = advisories(opened).draft(principal, request)
            asked = (
                ()
                if collection is None
                else advisory_publication(opened).request(principal, package, collection)
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(f"cannot create {out}: {exc.strerror}") from exc
        files = read_tar(package)
        target = out / "advisory.tar"
        write_atomically(target, package, "advisory package")
        for name in ("advisory.md", "advisory.pdf"):
            write_atomically(out / name, files[name], name)
        predicate = read_predicate(package)
        say(
            f"wrote {target} ({len(package)} bytes): {predicate['report_id']}, "
            f"TLP:{str(predicate['tlp']).upper()}; to be co-signed by "
            + (", ".join(a["name"] for a in predicate["coauthors"]) or "no one")
        )
        for asked_for in asked:
            say(
                f"approval requested: {asked_for.id} ({asked_for.action_type.value}, "
                f"sha256 {asked_for.digest}); must approve: {', '.join(asked_for.required_orgs)}"
            )
        return 0

    _run(body)


@app.command("cosign")
def cosign(
    package: Annotated[
        Path,
        typer.Argument(metavar="PACKAGE", help="The advisory's .tar file.", show_default=False),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default: in place).")
    ] = None,
    comment: Annotated[str, typer.Option(help="Why: kept with the signed approval.")] = "",
) -> None:
    """Approve and co-sign an advisory as this node, once it checks (every file as the author
    signed it) and its approval request has come from the author's node; hand the co-signed
    file back to the author."""

    def body() -> int:
        from entente.bootstrap import advisory_publication
        from entente.cli.context import node, operator
        from entente.services.atomic_files import write_atomically

        data = _read(package)
        with node() as opened:
            principal = operator(opened)
            signed, approved = advisory_publication(opened).cosign(principal, data, comment)
        target = out or package
        write_atomically(target, signed, "advisory package")
        say(
            "approved "
            + (", ".join(f"{a.request_id} ({a.id})" for a in approved) or "(already)")
            + f" and co-signed {target}"
        )
        return 0

    _run(body)


@app.command("publish")
def publish(
    package: Annotated[
        Path,
        typer.Argument(metavar="PACKAGE", help="The co-signed .tar file.", show_default=False),
    ],
    *,
    collection: Annotated[
        str, typer.Option("--collection", help="The collection to publish the report to.")
    ],
) -> None:
    """Publish the advisory's report and objects to a collection, once every agency signed
    and approved it (refused, nothing stored, otherwise)."""

    def body() -> int:
        from entente.bootstrap import advisory_publication
        from entente.cli.context import node, operator

        data = _read(package)
        with node() as opened:
            principal = operator(opened)
            done = advisory_publication(opened).publish(principal, data, collection)
        say(
            f"published {done.report_id} to {done.collection.title!r}: "
            f"{len(done.stored)} object(s) stored, {len(done.held)} already held; "
            f"approved by request(s) {', '.join(done.requests)}"
        )
        return 0

    _run(body)


@app.command("verify")
def verify(
    package: Annotated[
        Path,
        typer.Argument(metavar="PACKAGE", help="The advisory's .tar file.", show_default=False),
    ],
    threshold: Annotated[
        int | None,
        typer.Option("--threshold", help="How many of the trust root's keys must have signed."),
    ] = None,
    trust_file: Annotated[
        Path | None,
        typer.Option("--trust", help="A trust.json of the co-authors' keys, known out of band."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check signatures and threshold (m-of-n), file digests and the STIX report, offline."""

    def body() -> int:
        import orjson

        from entente.advisory import verify_advisory
        from entente.evidence import TrustRoot

        trust = None
        if trust_file is not None:
            try:
                trust = TrustRoot.from_json(orjson.loads(_read(trust_file)))
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"{trust_file}: not JSON: {exc}") from exc
        report = verify_advisory(_read(package), trust, threshold=threshold)
        return print_verification(report, package.name, as_json=as_json)

    run_command(body)
