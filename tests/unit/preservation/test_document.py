"""The request's JSON document, the bytes an approval covers: the same request always gives
the same bytes, they read back to the same request, and anything else is refused."""

from __future__ import annotations

import orjson
import pytest
from tests.unit.preservation.letters import complete

from entente.errors import InvalidInput
from entente.preservation import parse_request_json, render_request_json


def test_a_request_reads_back_from_its_document_byte_for_byte() -> None:
    request = complete()
    document = render_request_json(request)
    assert parse_request_json(document) == request
    assert render_request_json(parse_request_json(document)) == document
    assert list(orjson.loads(document)) == sorted(orjson.loads(document))


@pytest.mark.parametrize(
    "document",
    [b"not json", b"[]", b"{}", b'{"addressee": {}, "data": [1]}'],
)
def test_anything_else_is_refused(document: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_request_json(document)


def test_a_document_lacking_an_element_is_refused_naming_it() -> None:
    changed = orjson.loads(render_request_json(complete()))
    changed["custodian"] = ""
    with pytest.raises(InvalidInput, match=r"\(d\)"):
        parse_request_json(orjson.dumps(changed))
