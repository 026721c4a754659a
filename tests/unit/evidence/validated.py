"""Every evidence package a test builds is verified with the real ``case_validate``.

Issue 14's acceptance asks that ``case_validate`` conforms on every package the tests
produce, so tests check their packages through ``verified`` rather than with a validator
that passes anything. The tool takes seconds a run, so each distinct CASE document is
validated once per test session (by its SHA-256: the same bytes, the same verdict).
"""

from __future__ import annotations

import hashlib
from typing import Any

from entente.evidence.case_validation import run_case_validate
from entente.evidence.verify import Report, verify_package

__all__ = ["validate_case", "verified"]

_verdicts: dict[bytes, str | None] = {}


def validate_case(document: bytes) -> str | None:
    """``run_case_validate`` of ``document``, once per distinct document."""
    digest = hashlib.sha256(document).digest()
    if digest not in _verdicts:
        _verdicts[digest] = run_case_validate(document)
    return _verdicts[digest]


def verified(package: bytes, **options: Any) -> Report:
    """``verify_package`` with the real ``case_validate`` (``options``: its other arguments)."""
    return verify_package(package, case_validator=validate_case, **options)
