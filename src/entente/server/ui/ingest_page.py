"""The ingest page: upload a file or paste text, review what it would store, then store it.

Documents take the CLI's paths (``entente ingest``): ``ingest.open_document`` recognises STIX
bundles, MISP events, CSV feeds and text, and refuses logs, empty and binary files with the
CLI's messages; values of free text are reviewed against the node's warninglists and its own
networks and domains (``ingest.review``) and left out when one names them. The preview is a
dry run of the operator's ingest (``IngestService.ingest_document(dry_run=True)``): every
value with its decision and the counts it would store. The confirmation carries the document
sealed to the session (``accounts.drafts``) and reads it again from the start, so the values stored
are those the node extracts then, never a list the client sends.

Ingest is the node operator's path (as the CLI is, ``bootstrap.operator_ingest``): the page
offers it to the admins and analysts of the node's own org, and records the user as the
principal of what is stored. Users of other orgs post through TAXII under their own org's
ownership rules; readers write nothing. Either gets the page without a form, and a 403 page
for a POST.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency alias at def
# time (as in taxii_routes).

import io
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from entente.accounts import Draft, DraftSealer
from entente.bootstrap import Node, operator_ingest
from entente.bootstrap import warninglists as node_warninglists
from entente.errors import InvalidInput, UnsupportedFormat
from entente.ingest import (
    STDIN,
    Candidate,
    InputFormat,
    TypedValue,
    Verdict,
    open_document,
    review_value,
    value_label,
)
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.services import IngestSummary, node_org_id
from entente.services.users import SignedIn
from entente.sharing import Role
from entente.stix import Tlp, format_timestamp_us, marking_id_for, parse_tlp

__all__ = ["MAX_UPLOAD_BYTES", "ROWS_SHOWN", "ReviewedValue", "ingest_router", "may_ingest"]

# The largest document the page takes (a report, an event, a day's feed); the CLI takes more.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Values listed on the page at most (a day's feed holds thousands; the counts cover them all).
ROWS_SHOWN = 500
# The form around it: the other fields and the multipart boundaries.
_FORM_OVERHEAD = 64 * 1024
# A sealed draft is at most the document compressed, in base64: the confirmation's limit.
_CONFIRM_LIMIT = MAX_UPLOAD_BYTES * 3 // 2 + _FORM_OVERHEAD
_PASTED = "pasted text"
_TOO_LARGE = (
    f"The document is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB, the most this page "
    "takes. Split it, or ingest it with entente ingest on the node."
)


# The TLP levels an analyst may give what is built from a feed, text or a MISP event (the CLI's
# --marking), by label; none: the node's default marking applies when the objects are read.
_LEVELS = tuple(level.label for level in Tlp)


def may_ingest(signed: SignedIn, node_org: str) -> bool:
    """Whether the user may ingest here: an admin or analyst of the node's own org."""
    principal = signed.principal
    return principal.org == node_org and principal.role in (Role.ADMIN, Role.ANALYST)


@dataclass(frozen=True, slots=True)
class ReviewedValue:
    """One value found in free text, as the preview lists it."""

    position: str
    type: str
    value: str
    kept: bool
    decision: str


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a dry run or an ingest of one document did."""

    detail: str
    summary: IngestSummary
    values: tuple[ReviewedValue, ...]


class _TooLarge(Exception):
    """The request body is larger than the page takes."""


async def _body(request: Request, limit: int) -> bytes:
    """The request body, or ``_TooLarge`` as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


async def _upload_form(request: Request) -> tuple[dict[str, str], str | None, bytes | None]:
    """The fields of the multipart form, the uploaded file's name and its bytes (``None``
    when no file was chosen). Fields go where ``UiAuth.csrf_checked`` reads them."""
    body = await _body(request, MAX_UPLOAD_BYTES + _FORM_OVERHEAD)
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    fields: dict[str, str] = {}
    name: str | None = None
    content: bytes | None = None
    if media_type == "multipart/form-data":
        parser = MultiPartParser(
            request.headers, _once(body), max_files=1, max_fields=8, max_part_size=len(body)
        )
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise InvalidInput(f"the form could not be read: {exc.message}") from None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                await value.close()
                if value.filename and data:
                    name, content = value.filename, data
            else:
                fields.setdefault(key, value)
    request.state.form = fields
    return fields, name, content


def _noting(candidates: Iterator[Candidate], noted: list[ReviewedValue]) -> Iterator[Candidate]:
    """``candidates`` unchanged, each reviewed value of free text noted on its way."""
    for candidate in candidates:
        if candidate.value is not None and candidate.verdict is not None:
            noted.append(_reviewed(candidate.position, candidate.value, candidate.verdict))
        yield candidate


def _reviewed(position: str, value: TypedValue, verdict: Verdict) -> ReviewedValue:
    return ReviewedValue(
        position=position.removeprefix("line "),
        type=value_label(value.type),
        value=value.value,
        kept=verdict.kept,
        decision=verdict.describe(),
    )


def _upload_name(name: str) -> str:
    """An upload's file name without any directory a browser sent (RFC 7578 §4.2)."""
    return name.replace("\\", "/").rpartition("/")[2][:200] or "upload"


def ingest_router(node: Node, secret: bytes, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /ingest (``ingest.html``), POST /ingest/preview and POST /ingest/confirm."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    node_org = node_org_id(node.settings.org_name)
    sealer = DraftSealer(secret)
    lists = node_warninglists(node.settings)
    own = node.settings.own_addresses

    def review(value: TypedValue) -> Verdict:
        return review_value(value, warninglists=lists.current(), own=own)

    def run(signed: SignedIn, draft: Draft, *, dry_run: bool) -> _Outcome:
        # Ingest and matching are separate layers: the log detection is handed to the reader.
        from entente.matching.detect import recognise_log

        marking = () if draft.marking is None else (marking_id_for(parse_tlp(draft.marking)),)
        document = open_document(
            STDIN,
            fmt=InputFormat.AUTO,
            source_name=draft.source_name,
            now=format_timestamp_us(node.clock.now_us()),
            markings=marking,
            stdin=io.BytesIO(draft.content),
            recognise_log=recognise_log,
            review=review,
            stdin_name=draft.name,
            # A pasted list is the analyst's own, not a publisher's: reviewed as prose is.
            review_lists=draft.name == _PASTED,
        )
        noted: list[ReviewedValue] = []
        document = replace(document, candidates=_noting(document.candidates, noted))
        service = operator_ingest(node, signed.principal.id)
        summary = service.ingest_document(document, dry_run=dry_run)
        return _Outcome(document.detail, summary, tuple(noted))

    def page(request: Request, signed: SignedIn, status: int = 200, **extra: Any) -> Response:
        values: dict[str, Any] = {
            "may_ingest": may_ingest(signed, node_org),
            "max_mib": MAX_UPLOAD_BYTES // (1024 * 1024),
            "rows_shown": ROWS_SHOWN,
            "error": None,
            "text": "",
            "source_name": "",
            "marking": "",
            "levels": _LEVELS,
            "default_marking": f"TLP:{node.settings.default_marking.label.upper()}",
            "draft": None,
            "preview": None,
            "stored": None,
            "document_name": None,
            **extra,
        }
        return pages.response("ingest.html", request, signed, status_code=status, **values)

    def refused(request: Request, signed: SignedIn | None, status: int, message: str) -> Response:
        titles = {403: "Not allowed", 413: "Document too large"}
        return pages.response(
            "message.html",
            request,
            signed,
            status_code=status,
            title=titles.get(status, "Not ingested"),
            message=message,
        )

    def forbidden(request: Request, signed: SignedIn) -> Response:
        return refused(
            request,
            signed,
            403,
            "Only the admins and analysts of this node's org ingest documents here.",
        )

    @router.get("/ingest")
    def ingest_page(request: Request, signed: SignedInUser) -> Response:
        return page(request, signed)

    @router.post("/ingest/preview")
    async def preview(request: Request) -> Response:
        try:
            fields, name, content = await _upload_form(request)
        except _TooLarge:
            # The CSRF token is not read from a body that was not read: the answer says no
            # more than the size, and stores nothing.
            signed = await run_in_threadpool(auth.signed_in, request)
            return refused(request, signed, 413, _TOO_LARGE)
        except InvalidInput as exc:
            signed = await run_in_threadpool(auth.signed_in, request)
            return refused(request, signed, 400, f"{exc}.")
        signed = await auth.csrf_checked(request)
        if not may_ingest(signed, node_org):
            return forbidden(request, signed)
        text = fields.get("text", "")
        source_name = fields.get("source_name", "").strip()[:200] or None
        marking = fields.get("marking", "") or None
        if marking is not None and marking not in _LEVELS:
            return page(request, signed, 400, error="Choose a TLP level from the list.", text=text)
        if content is None:
            if not text.strip():
                return page(
                    request, signed, 400, error="Choose a file or paste some text to ingest."
                )
            draft = Draft(_PASTED, text.encode("utf-8"), source_name, marking)
        else:
            draft = Draft(_upload_name(name or ""), content, source_name, marking)
        if len(draft.content) > MAX_UPLOAD_BYTES:
            return refused(request, signed, 413, _TOO_LARGE)
        shown: dict[str, Any] = {
            "text": text,
            "source_name": source_name or "",
            "marking": marking or "",
            "document_name": draft.name,
        }
        try:
            outcome = await run_in_threadpool(run, signed, draft, dry_run=True)
        except UnsupportedFormat as exc:
            return page(request, signed, 415, error=f"Not ingested: {exc}", **shown)
        except InvalidInput as exc:
            return page(request, signed, 400, error=f"Not ingested: {exc}", **shown)
        sealed = sealer.seal(draft, signed.session.csrf_token, node.clock.now_us())
        return page(request, signed, draft=sealed, preview=outcome, **shown)

    @router.post("/ingest/confirm")
    async def confirm(request: Request) -> Response:
        form = await read_form(request, _CONFIRM_LIMIT)
        signed = await auth.csrf_checked(request)
        if not may_ingest(signed, node_org):
            return forbidden(request, signed)
        try:
            draft = sealer.unseal(
                form.get("draft", ""), signed.session.csrf_token, node.clock.now_us()
            )
        except InvalidInput as exc:
            return page(request, signed, 400, error=f"Not stored: {exc}. Preview it again.")
        shown: dict[str, Any] = {
            "source_name": draft.source_name or "",
            "marking": draft.marking or "",
            "document_name": draft.name,
        }
        if draft.name == _PASTED:
            shown["text"] = draft.content.decode("utf-8", errors="replace")
        try:
            outcome = await run_in_threadpool(run, signed, draft, dry_run=False)
        except InvalidInput as exc:
            # The warninglists or the reader changed since the preview: nothing was stored.
            return page(request, signed, 400, error=f"Not stored: {exc}", **shown)
        return page(request, signed, stored=outcome, **shown)

    return router
