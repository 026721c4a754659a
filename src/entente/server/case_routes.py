"""REST API for cases under ``/api/v1/cases``: list, create, read, and one POST per action.

Every read is the caller's (``services.cases`` reads through the sharing policy), every write
goes through the node's write path as the caller; a client mistake is a 400/403/404 problem
(``server.problems``), never a 500.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from entente.cases import CaseType, Resolution, Stage
from entente.clock import Clock
from entente.errors import InvalidInput
from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.services.cases import CaseService, ShownCase, case_document, view_document
from entente.sharing import Principal
from entente.stix import Tlp, parse_timestamp, parse_tlp, timestamp_us_from_key

__all__ = ["case_router"]

# A case action's body is a small JSON object.
_MAX_BODY = 256 * 1024

_E = TypeVar("_E", CaseType, Stage, Resolution)


_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}
_TLP = {"type": "string", "description": "TLP:CLEAR, GREEN, AMBER, AMBER+STRICT or RED"}


def _body(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    """What the OpenAPI says a route reads (the route reads and checks the JSON itself, so
    that every mistake gets a 400 naming the field)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def _enum_of(kind: type[CaseType] | type[Stage] | type[Resolution]) -> dict[str, Any]:
    return {"type": "string", "enum": [m.value for m in kind]}


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{key}' must be a string")
    return value


def _required(body: dict[str, Any], key: str) -> str:
    value = _text(body, key)
    assert value is not None  # _text raises when a required key is missing
    return value


def _choice(kind: type[_E], body: dict[str, Any], key: str) -> _E:
    value = _required(body, key)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(f"'{key}' must be one of: {allowed}") from None


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"'{key}' must be a list of strings")
    return value


def _tlp(body: dict[str, Any]) -> Tlp | None:
    value = _text(body, "tlp", required=False)
    if value is None:
        return None
    try:
        return parse_tlp(value)
    except ValueError as exc:
        raise InvalidInput(f"'tlp': {exc}") from None


def _due(body: dict[str, Any]) -> int | None:
    value = body.get("due")
    if value is None:
        return None
    return timestamp_us_from_key(parse_timestamp(value, "due").key)


def case_router(
    service: CaseService,
    clock: Clock,
    principal_of_request: Callable[[Request], Principal],
    gate: BodyGate,
) -> APIRouter:
    """The case routes, bound to ``service``."""
    router = APIRouter(prefix="/api/v1/cases")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    async def read_body(request: Request, principal: Principal) -> dict[str, Any]:
        # The role first: a caller who may not write gets 403 before its body is read.
        service.check_write(principal)
        return await gate.json_object(request, _MAX_BODY)

    def doc(shown: ShownCase) -> dict[str, Any]:
        return case_document(shown, clock.now_us())

    @router.get("", responses=responses(400))
    def list_cases(principal: Caller) -> dict[str, Any]:
        """Every case the caller may see (its latest version shown to it)."""
        return {"cases": [doc(s) for s in service.list_cases(principal)]}

    @router.post(
        "",
        status_code=201,
        responses=responses(400, 403, 413, 415),
        openapi_extra=_body(
            {
                "name": _STR,
                "case_type": _enum_of(CaseType),
                "description": _STR,
                "tlp": _TLP,
                "template": {"type": "boolean"},
            },
            "name",
            "case_type",
        ),
    )
    async def create(request: Request, principal: Caller) -> dict[str, Any]:
        """Open a case: ``name``, ``case_type``, optional ``description``, ``tlp``,
        ``template`` (false: no default tasks)."""
        body = await read_body(request, principal)
        template = body.get("template", True)
        if not isinstance(template, bool):
            raise InvalidInput("'template' must be true or false")
        shown = await run_in_threadpool(
            lambda: service.create(
                principal,
                name=_required(body, "name"),
                case_type=_choice(CaseType, body, "case_type"),
                description=_text(body, "description", required=False) or "",
                tlp=_tlp(body),
                with_template=template,
            )
        )
        return doc(shown)

    @router.post(
        "/{case_id}/merge",
        status_code=201,
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"with": _STRS, "name": _STR}, "with", "name"),
    )
    async def merge(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Merge this case and the cases ``with`` names into a new case named ``name``; the
        originals become read-only. (An action of a case, not ``/cases/merge``: that path
        would also be ``/cases/{case_id}``.)"""
        body = await read_body(request, principal)
        others, name = _strings(body, "with"), _required(body, "name")
        merged, originals = await run_in_threadpool(
            service.merge, principal, [case_id, *others], name
        )
        return {"case": doc(merged), "originals": [doc(o) for o in originals]}

    @router.get("/{case_id}", responses=responses(400, 404))
    def get_case(case_id: str, principal: Caller) -> dict[str, Any]:
        """One case as the caller is shown it, with the timeline of its versions."""
        return view_document(service.show(principal, case_id, channel="rest"), clock.now_us())

    @router.post(
        "/{case_id}/status",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"stage": _enum_of(Stage), "status": _STR}, "stage", "status"),
    )
    async def status(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Move the case to ``stage`` with ``status``."""
        body = await read_body(request, principal)
        stage, text = _choice(Stage, body, "stage"), _required(body, "status")
        return doc(await run_in_threadpool(service.set_status, principal, case_id, stage, text))

    @router.post(
        "/{case_id}/close",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"resolution": _enum_of(Resolution)}, "resolution"),
    )
    async def close(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Close the case with a ``resolution``."""
        body = await read_body(request, principal)
        resolution = _choice(Resolution, body, "resolution")
        return doc(await run_in_threadpool(service.close, principal, case_id, resolution))

    @router.post(
        "/{case_id}/tasks",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body(
            {"title": _STR, "owner": _STR, "due": {"type": "string", "format": "date-time"}},
            "title",
        ),
    )
    async def add_task(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Add a task: ``title``, optional ``owner`` and ``due`` (a STIX timestamp)."""
        body = await read_body(request, principal)
        title, owner, due = (
            _required(body, "title"),
            _text(body, "owner", required=False),
            _due(body),
        )
        shown = await run_in_threadpool(
            lambda: service.add_task(principal, case_id, title, owner=owner, due_us=due)
        )
        return doc(shown)

    @router.post(
        "/{case_id}/tasks/{task_id}/done",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"result": _STR}),
    )
    async def task_done(
        case_id: str, task_id: str, request: Request, principal: Caller
    ) -> dict[str, Any]:
        """Mark a task done, with an optional ``result``."""
        body = await read_body(request, principal)
        result = _text(body, "result", required=False)
        shown = await run_in_threadpool(
            lambda: service.complete_task(principal, case_id, task_id, result=result)
        )
        return doc(shown)

    @router.post(
        "/{case_id}/notes",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"text": _STR}, "text"),
    )
    async def add_note(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Write a note (``text``) on the case."""
        body = await read_body(request, principal)
        text = _required(body, "text")
        return doc(await run_in_threadpool(service.add_note, principal, case_id, text))

    @router.post(
        "/{case_id}/attach",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"objects": _STRS, "hashes": _STRS, "evidence": {"type": "boolean"}}),
    )
    async def attach(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Reference ``objects`` (STIX ids) and the files with ``hashes``; ``evidence: true``
        attaches sightings / matching hits."""
        body = await read_body(request, principal)
        ids, hashes = _strings(body, "objects"), _strings(body, "hashes")
        evidence = body.get("evidence", False)
        if not isinstance(evidence, bool):
            raise InvalidInput("'evidence' must be true or false")
        shown = await run_in_threadpool(
            lambda: service.attach(
                principal, case_id, ids, file_hashes=hashes, as_evidence=evidence
            )
        )
        return doc(shown)

    @router.post(
        "/{case_id}/share",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"tasks": _STRS, "notes": _STRS, "tlp": _TLP}, "tlp"),
    )
    async def share(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Store the shareable copy: only the ``tasks`` and ``notes`` named, under ``tlp``."""
        body = await read_body(request, principal)
        tasks, notes, tlp = _strings(body, "tasks"), _strings(body, "notes"), _tlp(body)
        if tlp is None:
            raise InvalidInput("'tlp' is required: the marking the shared copy carries")
        shown = await run_in_threadpool(
            lambda: service.share(principal, case_id, tasks=tasks, notes=notes, tlp=tlp)
        )
        return doc(shown)

    return router
