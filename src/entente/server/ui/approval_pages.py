"""The approval pages: the requests a user may see (``/approvals``), one request with exactly
what will be sent and every decision on it (``/approvals/{id}``), its payload as a download
(``/approvals/{id}/payload``), and the form that approves or rejects it (issue 15 item 1:
approvals "shown in the UI with what exactly will be sent").

Every read is ``ApprovalService.list_requests``/``status`` as the signed-in user, so a page
holds only the requests (and approvals) the one sharing policy releases to that user, and
names only the objects they concern that it may see itself (``ApprovalService.may_see``); a
request the user may not see and an absent one get the same 404 page, which does not repeat
the id asked for, and so does its payload.

What will be sent is shown from the stored bytes, never from a re-encoding the sender would
not use: JSON pretty-printed only when it parses without duplicate keys (a parser keeps one
of two equal keys, so the pretty form could hide the other), text and e-mail as preformatted
text with control and bidirectional characters made visible (they could make the text read
otherwise than it is: CVE-2021-42574, "Trojan Source"), anything else (a tar package, a PDF)
only as a download of the exact bytes; the SHA-256 the approvals sign is shown beside each.

A decision is a POST with the session's CSRF token (``UiAuth.csrf_checked``) through the
node's one ``ApprovalService``, which decides who may approve whatever forms the page showed
(the page offers the form by ``ApprovalService.refusal`` and shows its reason otherwise);
the answer is a 303 back to the request (RFC 9110 §15.4.4) with a fixed message, a refusal a
403 page with the reason, bad input a 400 page, and none of them stores anything.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in case_pages).

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.approvals import Request as ApprovalRequest
from entente.approvals import State, Verdict
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.services.approvals import ApprovalService, RequestStatus
from entente.services.users import SignedIn
from entente.stix import format_timestamp_us, is_valid_id

__all__ = ["APPROVAL_MESSAGES", "MAX_COMMENT", "approval_pages_router", "render_payload"]

# What a decision's 303 says on the request's page: fixed text, so that no link can make the
# page say something else.
APPROVAL_MESSAGES = {
    "approve": "Your approval was signed by this node and recorded.",
    "reject": "Your rejection was signed by this node and recorded.",
}
# A comment is kept in the signed statement and shown to every reader of the request.
MAX_COMMENT = 2000
_DONE = Query(max_length=20)
_STATE = Query(max_length=20)
# Line breaks of text and e-mail (RFC 5322 §2.1: CRLF) and tabs read as what they are.
_PLAIN_CONTROLS = frozenset("\n\t")
# A media type's essence (RFC 9110 §8.3.1: type "/" subtype, both tokens): only such a value
# goes into a header; a partner's request could state anything.
_ESSENCE = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+/[a-z0-9!#$%&'*+.^_`|~-]+")
# Each media type that a download names by its usual extension; anything else is ``.bin``.
_EXTENSIONS = {
    "application/json": ".json",
    "application/pdf": ".pdf",
    "application/x-tar": ".tar",
    "message/rfc822": ".eml",
    "text/markdown": ".md",
    "text/plain": ".txt",
}


@dataclass(frozen=True, slots=True)
class ShownPayload:
    """The payload as a page shows it: ``text`` (None: a download only), how it is shown
    (``json``, ``text`` or ``download``), and how many characters were made visible."""

    kind: str
    text: str | None
    marked: int


def _media_type(media_type: str) -> str:
    return media_type.partition(";")[0].strip().lower()


def _is_json(media_type: str) -> bool:
    essence = _media_type(media_type)
    return essence == "application/json" or essence.endswith("+json")


def _is_text(media_type: str) -> bool:
    essence = _media_type(media_type)
    return essence.startswith(("text/", "message/"))


def _visible(text: str) -> tuple[str, int]:
    """``text`` with every control, format (bidi) and line-separator character except line
    breaks and tabs written as ``<U+XXXX>``, and how many there were; CRLF stays a break."""
    out: list[str] = []
    marked = 0
    for n, char in enumerate(text):
        if char == "\r" and text[n + 1 : n + 2] == "\n":
            continue  # the CRLF's LF makes the break
        if char in _PLAIN_CONTROLS or unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char)
            continue
        out.append(f"<U+{ord(char):04X}>")
        marked += 1
    return "".join(out), marked


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def render_payload(payload: bytes, media_type: str) -> ShownPayload:
    """How a page shows ``payload`` of ``media_type``: pretty JSON, text, or a download."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return ShownPayload("download", None, 0)
    if _is_json(media_type):
        try:
            document = json.loads(text, object_pairs_hook=_no_duplicates)
        except ValueError:
            pass  # not JSON as it claims, or with a duplicate key: shown as it is
        else:
            pretty, marked = _visible(json.dumps(document, indent=2, ensure_ascii=False))
            return ShownPayload("json", pretty, marked)
    if _is_json(media_type) or _is_text(media_type):
        shown, marked = _visible(text)
        return ShownPayload("text", shown, marked)
    return ShownPayload("download", None, 0)


def _filename(request: ApprovalRequest) -> str:
    # The request id is a STIX id (checked when read): plain ASCII, no RFC 8187 encoding.
    extension = _EXTENSIONS.get(_media_type(request.media_type), ".bin")
    return f"{request.id}-payload{extension}"


def _row(service: ApprovalService, signed: SignedIn, shown: RequestStatus) -> dict[str, Any]:
    request, decision = shown.request, shown.decision
    return {
        "id": request.id,
        "action_type": request.action_type.value,
        "summary": request.summary,
        "requester": request.requester,
        "created": format_timestamp_us(request.created_us),
        "state": decision.state.value,
        "missing": decision.missing(),
        "waiting": service.is_waiting_for(signed.principal, shown),
    }


def _approvals(shown: RequestStatus) -> list[dict[str, Any]]:
    ignored = {i.approval.id: i.reason for i in shown.decision.ignored}
    signatures = dict(zip((a.id for a in shown.approvals), shown.signatures, strict=True))
    rows = [
        {
            "approver": a.approver,
            "org": a.approver_org,
            "role": a.approver_role,
            "verdict": a.verdict.value,
            "at": format_timestamp_us(a.time_us),
            "comment": a.comment,
            "signature": signatures.get(a.id),
            "counts": a.id not in ignored,
            "reason": ignored.get(a.id, ""),
        }
        for a in shown.approvals
    ]
    return sorted(rows, key=lambda r: (r["at"], r["approver"]))


def approval_pages_router(service: ApprovalService, auth: UiAuth, pages: Pages) -> APIRouter:
    """The approval pages and their form over the node's one ``service``."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias

    message = pages.message

    def not_found(request: Request, signed: SignedIn) -> Response:
        return pages.no_such(request, signed, "approval request")

    def read(signed: SignedIn, request_id: str) -> RequestStatus:
        try:
            return service.status(signed.principal, request_id)
        except InvalidInput:
            # A malformed id is as absent as a hidden one.
            raise ObjectNotFound("no approval request") from None

    @router.get("/approvals")
    def approval_list(
        request: Request,
        signed: SignedInUser,
        *,
        state: Annotated[str | None, _STATE] = None,
    ) -> Response:
        want: State | None = None
        if state:
            try:
                want = State(state)
            except ValueError:
                return message(
                    request,
                    signed,
                    400,
                    "No such filter",
                    "Filter approval requests by pending, approved or rejected.",
                )
        found = service.list_requests(signed.principal, state=want)
        rows = [_row(service, signed, s) for s in found]
        return pages.response(
            "approvals.html",
            request,
            signed,
            title="Approvals",
            waiting=[r for r in rows if r["waiting"]],
            others=[r for r in rows if not r["waiting"]],
            state=state or "",
            states=[s.value for s in State],
        )

    @router.get("/approvals/{request_id}")
    def approval_page(
        request: Request,
        request_id: str,
        signed: SignedInUser,
        *,
        done: Annotated[str | None, _DONE] = None,
    ) -> Response:
        try:
            shown = read(signed, request_id)
        except ObjectNotFound:
            return not_found(request, signed)
        asked, decision, policy = shown.request, shown.decision, shown.policy
        # Only the objects the user may see are named, as on a case page.
        concerns = [ref for ref in asked.refs if service.may_see(signed.principal, ref)]
        return pages.response(
            "approval.html",
            request,
            signed,
            title=f"Approval request: {asked.action_type.value}",
            asked=asked,
            created=format_timestamp_us(asked.created_us),
            state=decision.state.value,
            missing=decision.missing(),
            concerns=concerns,
            withheld=len(asked.refs) - len(concerns),
            min_approvals=policy.min_approvals,
            requester_may_approve=policy.requester_may_approve,
            required=[
                (org, org not in decision.orgs_missing)
                for org in dict.fromkeys((*policy.required_orgs, *asked.required_orgs))
            ],
            approvals=_approvals(shown),
            payload=render_payload(asked.payload, asked.media_type),
            size=len(asked.payload),
            refusal=service.refusal(signed.principal, shown),
            max_comment=MAX_COMMENT,
            done=APPROVAL_MESSAGES.get(done or ""),
        )

    @router.get("/approvals/{request_id}/payload")
    def payload(request: Request, request_id: str, signed: SignedInUser) -> Response:
        try:
            asked = read(signed, request_id).request
        except ObjectNotFound:
            return not_found(request, signed)
        # The exact bytes as an attachment of no type a browser would render (RFC 6266); their
        # media type and the digest the approvals sign go in headers, as in the REST route.
        headers = {
            "Content-Disposition": f'attachment; filename="{_filename(asked)}"',
            "X-Content-SHA256": asked.digest,
        }
        essence = _media_type(asked.media_type)
        if _ESSENCE.fullmatch(essence):
            headers["X-Entente-Media-Type"] = essence
        return Response(asked.payload, media_type="application/octet-stream", headers=headers)

    @router.post("/approvals/{request_id}/decision")
    async def decide(request: Request, request_id: str, signed: CsrfChecked) -> Response:
        if not is_valid_id(request_id, "grouping"):
            return not_found(request, signed)
        form = await read_form(request)
        comment = form.get("comment", "").strip()
        try:
            verdict = Verdict(form.get("verdict", ""))
        except ValueError:
            return message(
                request, signed, 400, "Not decided", "Nothing was signed: approve or reject."
            )
        if len(comment) > MAX_COMMENT:
            return message(
                request,
                signed,
                400,
                "Not decided",
                f"Nothing was signed: a comment has at most {MAX_COMMENT} characters.",
            )
        try:
            await run_in_threadpool(
                lambda: service.approve(
                    signed.principal, request_id, verdict, comment, channel="ui"
                )
            )
        except ObjectNotFound:
            return not_found(request, signed)
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was signed: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not decided", f"Nothing was signed: {exc}")
        return RedirectResponse(f"/approvals/{request_id}?done={verdict.value}", status_code=303)

    return router
