"""TAXII 2.1 §3.6.1 error messages and the InvalidParameter error."""

from __future__ import annotations

import pytest

from entente.errors import InvalidInput
from entente.taxii.problems import InvalidParameter, error_body, invalid_parameter_body


def test_taxii_problems_error_body_has_title_and_string_http_status() -> None:
    assert error_body("Not Acceptable", http_status=406) == {
        "title": "Not Acceptable",
        "http_status": "406",
    }


def test_taxii_problems_error_body_carries_every_optional_member_given() -> None:
    body = error_body(
        "Conflict",
        http_status=409,
        description="d",
        error_id="1234",
        error_code="581234",
        external_details="https://example.com/e",
        details={"k": "v"},
    )
    assert body == {
        "title": "Conflict",
        "description": "d",
        "error_id": "1234",
        "error_code": "581234",
        "http_status": "409",
        "external_details": "https://example.com/e",
        "details": {"k": "v"},
    }


@pytest.mark.parametrize("status", [200, 302, 399, 600])
def test_taxii_problems_error_body_refuses_non_error_status(status: int) -> None:
    with pytest.raises(ValueError, match="error status"):
        error_body("x", http_status=status)


def test_taxii_problems_error_body_requires_a_title() -> None:
    with pytest.raises(ValueError, match="title"):
        error_body("", http_status=400)


def test_taxii_problems_invalid_parameter_is_invalid_input_naming_the_parameter() -> None:
    error = InvalidParameter("added_after", "not a timestamp")
    assert isinstance(error, InvalidInput)
    assert "added_after" in str(error)
    body = invalid_parameter_body(error)
    assert body["http_status"] == "400"
    assert body["details"] == {"parameter": "added_after", "reason": "not a timestamp"}
