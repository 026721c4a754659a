"""TAXII 2.1 error messages (§3.6.1) and the error for a malformed query parameter (§3.4)."""

from __future__ import annotations

from typing import Any

from entente.errors import InvalidInput

__all__ = ["InvalidParameter", "error_body", "invalid_parameter_body"]


class InvalidParameter(InvalidInput):
    """A malformed URL query parameter; TAXII 2.1 §3.4 requires HTTP 400 for it."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"query parameter {parameter!r}: {reason}")


def error_body(
    title: str,
    *,
    http_status: int,
    description: str | None = None,
    error_id: str | None = None,
    error_code: str | None = None,
    external_details: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A TAXII 2.1 §3.6.1 ``error`` message; absent optional members are omitted."""
    if not title:
        raise ValueError("a TAXII error message needs a title (§3.6.1: title is required)")
    if not 400 <= http_status <= 599:
        raise ValueError(f"{http_status} is not an HTTP error status (§3.6: 400- and 500-series)")
    body: dict[str, Any] = {"title": title}
    if description is not None:
        body["description"] = description
    if error_id is not None:
        body["error_id"] = error_id
    if error_code is not None:
        body["error_code"] = error_code
    # §3.6.1: http_status is of type *string* (the example has "http_status": "409") and MUST
    # match the status line, which is why it is taken as an int and rendered here.
    body["http_status"] = str(http_status)
    if external_details is not None:
        body["external_details"] = external_details
    if details:
        body["details"] = dict(details)
    return body


def invalid_parameter_body(error: InvalidParameter) -> dict[str, Any]:
    """The HTTP 400 ``error`` body (§3.4, §3.6.1) for a malformed query parameter."""
    return error_body(
        "Invalid query parameter",
        http_status=400,
        description=str(error),
        error_code="invalid-parameter",
        details={"parameter": error.parameter, "reason": error.reason},
    )
