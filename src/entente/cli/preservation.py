"""``entente preservation new|send|list|verify|answer|contacts``: Art. 29 requests.

``new CASE --contact COUNTRY ...`` drafts the request from the case (the data to preserve
from the case's objects the operator may see, the rest from the options), prints its six
elements and asks for its approval: the request leaves the coalition (action type
preservation-request, ADR 0019). ``send CASE N --out request.pdf``, once approved for exactly
that request, writes the PDF, its Markdown and its DSSE signature (``request.dsse.json``
beside it) and records it on the case as sent. ``list`` shows where each stands; ``verify``
checks a letter offline; ``answer`` records the 24/7 point of contact's answer on the case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from entente.cases import Answer
from entente.cli.output import ExitCode, console, print_json, run_command, say
from entente.errors import InvalidInput, PermissionDenied

__all__ = ["app"]

app = typer.Typer(
    help="Preservation requests (Budapest Convention Art. 29) to 24/7 points of contact.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _text(name: str, help_text: str) -> object:
    return typer.Option(name, help=help_text, show_default=False)


def _signature_path(out: Path) -> Path:
    return out.with_name(out.stem + ".dsse.json")


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc


@app.command("new")
def new(
    case_id: Annotated[str, typer.Argument(metavar="CASE", help="The case's id (grouping--...).")],
    *,
    contact: Annotated[str, _text("--contact", "Country (ISO 3166 alpha-2) of the 24/7 contact.")],
    authority: Annotated[str, _text("--authority", "(a) The authority seeking preservation.")] = "",
    offence: Annotated[str, _text("--offence", "(b) The offence under investigation.")] = "",
    facts: Annotated[str, _text("--facts", "(b) A brief summary of the related facts.")] = "",
    link: Annotated[str, _text("--link", "(c) How the data relates to the offence.")] = "",
    custodian: Annotated[str, _text("--custodian", "(d) Custodian or system location.")] = "",
    necessity: Annotated[str, _text("--necessity", "(e) Why preservation is necessary.")] = "",
    mla: Annotated[
        str | None,
        _text("--mla-intent", "(f) The intent to request mutual assistance (default: Art. 29)."),
    ] = None,
    signatory: Annotated[str, _text("--signatory", "Who signs: name and title.")] = "",
    reference: Annotated[
        str | None, _text("--reference", "The letter's reference (default: made from the case).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Draft a preservation request for a case and ask for its approval (it leaves the
    coalition); print its six elements. ``send`` records it once approved."""

    def body() -> int:
        from entente.bootstrap import approvals, cases, preservation
        from entente.cli.context import node, operator
        from entente.preservation import MLA_INTENT
        from entente.services.preservation import PreservationInput, tracked_document

        given = PreservationInput(
            country=contact,
            requesting_authority=authority,
            offence=offence,
            facts=facts,
            data_link=link,
            custodian=custodian,
            necessity=necessity,
            signatory=signatory,
            mutual_assistance=MLA_INTENT if mla is None else mla,
            reference=reference,
        )
        with node() as opened:
            principal = operator(opened)
            service = preservation(opened, cases(opened))
            tracked = service.request_approval(
                principal, case_id, given, approvals(opened), channel="cli"
            )
        document = tracked_document(tracked)
        if as_json:
            print_json(document)
            return 0
        say(
            f"Preservation request {document['number']} ({document['reference']}) to "
            f"{document['addressee']}\napproval request {document['approval_request']}: "
            f"{document['approval']}"
        )
        for element in document["elements"]:
            console.print(
                f"\n{element['heading']}\n{element['text']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        say(
            f"\nonce approved: entente preservation send {case_id} {document['number']} "
            "--out request.pdf"
        )
        return 0

    _guarded(body)


@app.command("send")
def send(
    case_id: Annotated[str, typer.Argument(metavar="CASE", help="The case's id.")],
    number: Annotated[int, typer.Argument(metavar="N", help="The request's number on the case.")],
    *,
    out: Annotated[Path, _text("--out", "Where the PDF goes (its .dsse.json and .md beside it).")],
    as_json: JsonOption = False,
) -> None:
    """Once approved, write the signed letter and record the request on the case as sent."""

    def body() -> int:
        from entente.bootstrap import approvals, cases, preservation
        from entente.cli.context import node, operator
        from entente.preservation import render_request_json, section_texts

        with node() as opened:
            principal = operator(opened)
            service, desk = preservation(opened, cases(opened)), approvals(opened)
            tracked = service.find(principal, case_id, number, desk)
            if tracked.record is not None:
                raise InvalidInput(f"{tracked.request.reference} is already sent")
            # Checked before any file is written: an unapproved letter leaves no file.
            desk.require_approved(
                principal, tracked.approval.request.id, render_request_json(tracked.request)
            )
            letter = service.render(tracked.request)
            signature = _signature_path(out)
            written = [out, signature, out.with_suffix(".md")]
            contents = [letter.pdf, letter.envelope, letter.markdown.encode("utf-8")]
            try:
                for path, data in zip(written, contents, strict=True):
                    _write(path, data)
                service.send(principal, case_id, number, desk, channel="cli")
            except BaseException:
                # Not recorded on the case: no letter is left that looks sent.
                for path in written:
                    path.unlink(missing_ok=True)
                raise
        request = letter.request
        if as_json:
            print_json(
                {
                    "reference": request.reference,
                    "case_id": request.case_id,
                    "addressee": request.addressee.label,
                    "pdf": str(out),
                    "pdf_sha256": letter.pdf_sha256,
                    "signature": str(signature),
                    "elements": [{"heading": h, "text": t} for h, t in section_texts(request)],
                }
            )
            return 0
        say(
            f"Preservation request {request.reference} to {request.addressee.label} recorded "
            f"as sent\nletter: {out} (sha256 {letter.pdf_sha256})\nsignature: {signature}"
        )
        return 0

    _guarded(body)


@app.command("list")
def list_requests(
    case_id: Annotated[str, typer.Argument(metavar="CASE", help="The case's id.")],
    *,
    as_json: JsonOption = False,
) -> None:
    """A case's preservation requests and where each stands (approval, sent, answer)."""

    def body() -> int:
        from entente.bootstrap import approvals, cases, preservation
        from entente.cli.context import node, operator
        from entente.services.preservation import tracked_document

        with node() as opened:
            principal = operator(opened)
            found = preservation(opened, cases(opened)).tracked(
                principal, case_id, approvals(opened)
            )
        documents = [tracked_document(t) for t in found]
        if as_json:
            print_json({"requests": documents})
            return 0
        for d in documents:
            say(
                f"{d['number']}  {d['reference']}  {d['addressee']}  {d['state']}  "
                f"({d['approval']})"
            )
        if not documents:
            console.print("no preservation requests", highlight=False)
        return 0

    _guarded(body)


@app.command("verify")
def verify(
    pdf: Annotated[Path, typer.Argument(metavar="PDF", help="The letter.", show_default=False)],
    envelope: Annotated[
        Path, typer.Argument(metavar="SIGNATURE", help="Its .dsse.json.", show_default=False)
    ],
    key: Annotated[
        str | None,
        _text("--key", "The sender's node key (ed25519:...); default: the key the envelope names."),
    ] = None,
) -> None:
    """Check a letter's signature offline: exit 0 verified, 1 not, 2 unreadable."""

    def body() -> int:
        from entente.federation.keys import parse_public_key
        from entente.preservation import verify_letter

        data, signed = _read(pdf), _read(envelope)
        named = _named_key(signed)
        public = parse_public_key(key if key is not None else named)
        check = verify_letter(data, signed, public)
        for problem in check.problems:
            say(f"FAILED  {problem}", err=True)
        if not check.passed:
            say(f"{pdf.name}: not verified")
            return int(ExitCode.PARTIAL)
        predicate = check.predicate
        say(
            f"{pdf.name}: verified, sha256 {hashlib.sha256(data).hexdigest()}\n"
            f"reference {predicate.get('reference')}, case {predicate.get('case_id')}, "
            f"dated {predicate.get('date')}\nsigned by {public.text}"
        )
        if key is None:
            say(
                "the key is the one the envelope names: compare it with the sender's published "
                "node key, or pass --key"
            )
        return 0

    run_command(body)


def _named_key(envelope: bytes) -> str:
    """The signing key an envelope's predicate names (to check against when not told one)."""
    import orjson

    from entente.errors import MalformedDocument
    from entente.evidence import dsse

    payload, _ = dsse.read_envelope(envelope)
    try:
        named = orjson.loads(payload)["predicate"]["signer_key"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise MalformedDocument("the envelope names no signing key: pass --key") from exc
    if not isinstance(named, str):
        raise MalformedDocument("the envelope names no signing key: pass --key")
    return named


@app.command("answer")
def answer(
    case_id: Annotated[str, typer.Argument(metavar="CASE", help="The case's id.")],
    *,
    reference: Annotated[str, _text("--reference", "The request's reference.")],
    outcome: Annotated[Answer, typer.Option("--answer", help="What the contact answered.")],
    until: Annotated[
        str | None, _text("--until", "With 'preserved': until when (a STIX timestamp).")
    ] = None,
    note: Annotated[str, _text("--note", "A note (required with 'refused').")] = "",
    as_json: JsonOption = False,
) -> None:
    """Record the answer to a case's preservation request."""

    def body() -> int:
        from entente.bootstrap import cases
        from entente.cli.context import node, operator
        from entente.services.cases import case_document
        from entente.stix import parse_timestamp, timestamp_us_from_key

        until_us = (
            None if until is None else timestamp_us_from_key(parse_timestamp(until, "--until").key)
        )
        with node() as opened:
            principal = operator(opened)
            shown = cases(opened).record_answer(
                principal,
                case_id,
                reference,
                outcome,
                preserved_until_us=until_us,
                note=note,
                channel="cli",
            )
            now = opened.clock.now_us()
        if as_json:
            print_json(case_document(shown, now))
            return 0
        record = shown.case.request(reference)
        assert record is not None
        say(f"{shown.case.id}: {reference} answered {outcome.value}")
        return 0

    _guarded(body)


@app.command("contacts")
def contacts() -> None:
    """List the configured 24/7 points of contact (``[[preservation.contacts]]``)."""

    def body() -> int:
        from entente.cli.context import node_settings

        listed = node_settings().preservation_contacts
        for c in listed:
            say(f"{c.country}  {c.authority}  {c.email}  {c.phone}")
        if not listed:
            console.print("no 24/7 points of contact configured", highlight=False)
        return 0

    run_command(body)


def _guarded(body: Callable[[], int | None]) -> None:
    def guarded() -> int | None:
        try:
            result = body()
        except PermissionDenied as exc:
            say(f"error: {exc}", err=True)
            raise typer.Exit(int(ExitCode.INPUT)) from None
        return result

    run_command(guarded)
