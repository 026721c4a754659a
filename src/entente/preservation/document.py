"""A preservation request as JSON: the exact bytes an approval of the request covers.

A request leaves the coalition, so it is approved (ADR 0019) before it is recorded as sent.
What the approvers are shown and what is later rendered and signed must be the same thing:
the approval request carries this document (sorted keys, no whitespace, so the same request
always gives the same bytes), and the letter is rendered again from it when sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from entente.errors import InvalidInput
from entente.preservation.contacts import Contact
from entente.preservation.request import DataItem, PreservationRequest, new_request

__all__ = ["MEDIA_TYPE", "parse_request_json", "render_request_json"]

MEDIA_TYPE = "application/json"


def render_request_json(request: PreservationRequest) -> bytes:
    """The request as canonical JSON (sorted keys, compact): the bytes an approval covers."""
    document = {
        "reference": request.reference,
        "case_id": request.case_id,
        "date": request.date,
        "addressee": {
            "country": request.addressee.country,
            "authority": request.addressee.authority,
            "email": request.addressee.email,
            "phone": request.addressee.phone,
        },
        "requesting_authority": request.requesting_authority,
        "offence": request.offence,
        "facts": request.facts,
        "data": [
            {
                "kind": d.kind,
                "value": d.value,
                "source_id": d.source_id,
                "first_seen": d.first_seen,
                "last_seen": d.last_seen,
            }
            for d in request.data
        ],
        "data_link": request.data_link,
        "custodian": request.custodian,
        "necessity": request.necessity,
        "mutual_assistance": request.mutual_assistance,
        "signatory": request.signatory,
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _str(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise InvalidInput(f"the preservation request's {key!r} is not a string")
    return value


def _opt(doc: Mapping[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"the preservation request's {key!r} is not a string")
    return value


def parse_request_json(raw: bytes) -> PreservationRequest:
    """The request ``render_request_json`` wrote (``InvalidInput`` for anything else; each
    element is checked again by ``new_request``)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("the preservation request is not JSON") from None
    if not isinstance(doc, dict):
        raise InvalidInput("the preservation request is not a JSON object")
    addressee, items = doc.get("addressee"), doc.get("data")
    if not isinstance(addressee, dict) or not isinstance(items, list):
        raise InvalidInput("the preservation request lacks its addressee or data")
    if not all(isinstance(i, dict) for i in items):
        raise InvalidInput("the preservation request's data are not objects")
    contact = Contact(
        country=_str(addressee, "country"),
        authority=_str(addressee, "authority"),
        email=_str(addressee, "email"),
        phone=_str(addressee, "phone"),
    )
    data = tuple(
        DataItem(
            kind=_str(i, "kind"),
            value=_str(i, "value"),
            source_id=_str(i, "source_id"),
            first_seen=_opt(i, "first_seen"),
            last_seen=_opt(i, "last_seen"),
        )
        for i in items
    )
    return new_request(
        reference=_str(doc, "reference"),
        case_id=_str(doc, "case_id"),
        date=_str(doc, "date"),
        addressee=contact,
        requesting_authority=_str(doc, "requesting_authority"),
        offence=_str(doc, "offence"),
        facts=_str(doc, "facts"),
        data=data,
        data_link=_str(doc, "data_link"),
        custodian=_str(doc, "custodian"),
        necessity=_str(doc, "necessity"),
        mutual_assistance=_str(doc, "mutual_assistance"),
        signatory=_str(doc, "signatory"),
    )
