"""X-ARF v4 reports against the official schema (xarf/xarf-spec), and its official samples."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from entente.abuse import Evidence, Party, build_xarf, render_xarf, validate_xarf
from entente.errors import InvalidInput

SAMPLES = Path(__file__).parents[2] / "data" / "xarf"
ACME = Party("Acme CERT", "cert@acme.example", "acme.example")


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_the_official_samples_are_valid(path: Path) -> None:
    validate_xarf(json.loads(path.read_text("utf-8")))


def _report(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "report_id": "4f0b5a57-5c64-4b43-8a0e-7c1f8c6d2a11",
        "timestamp": "2026-12-01T10:00:00Z",
        "reporter": ACME,
        "sender": ACME,
        "source_identifier": "192.0.2.50",
        "category": "reputation",
        "report_type": "threat_intelligence",
        "evidence_source": "threat_intelligence",
        "evidence": [Evidence("application/json", "the indicator", b'{"type":"indicator"}')],
        "fields": {"threat_type": "malicious-activity"},
    }
    arguments.update(changes)
    return build_xarf(**arguments)


def test_a_built_report_carries_its_evidence_by_sha256() -> None:
    report = _report()
    validate_xarf(report)
    item = report["evidence"][0]
    payload = base64.b64decode(item["payload"])
    assert item["hash"] == f"sha256:{hashlib.sha256(payload).hexdigest()}"
    assert item["size"] == len(payload) == 20
    assert json.loads(render_xarf(report)) == report


def test_a_type_field_the_schema_requires_is_checked() -> None:
    with pytest.raises(InvalidInput, match="'threat_type' is a required property"):
        _report(fields={})


def test_an_unknown_category_or_type_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not valid X-ARF v4"):
        _report(category="gossip")
    with pytest.raises(InvalidInput, match="not valid X-ARF v4"):
        _report(report_type="rumour")


def test_a_reporter_without_a_valid_email_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reporter/contact"):
        _report(reporter=Party("Acme", "not an address", "acme.example"))


def test_a_report_id_that_is_not_a_uuid_is_refused() -> None:
    with pytest.raises(InvalidInput, match="report_id"):
        _report(report_id="report-1")
