"""RFC 5965 ARF messages: three parts, the feedback fields, the original intact."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from tests.unit.abuse.mime import body_text, inner, part

from entente.abuse import ArfFields, build_arf, parse_original
from entente.errors import InvalidInput

ORIGINAL = Path(__file__).parents[2] / "data" / "arf" / "rfc5965-b2-original.eml"


def _arf(feedback_type: str = "abuse") -> bytes:
    message = build_arf(
        fields=ArfFields(
            feedback_type=feedback_type,
            user_agent="Entente/0.1.0",
            source_ip="192.0.2.1",
            arrival_date="Thu, 8 Mar 2005 14:00:00 EDT",
            reported_domain=("example.net",),
        ),
        original=parse_original(ORIGINAL.read_bytes()),
        sender="cert@acme.example",
        recipient="abuse@example.net",
        subject="Abuse report: 192.0.2.1",
        explanation="Spam from 192.0.2.1; the original is attached.",
        date="Sat, 05 Dec 2026 10:00:00 +0000",
        message_id="<report-1@acme.example>",
    )
    return message.as_bytes()


def test_the_report_is_multipart_report_of_three_parts_in_order() -> None:
    parsed = email.message_from_bytes(_arf(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "feedback-report"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "message/feedback-report",
        "message/rfc822",
    ]
    assert parsed["To"] == "abuse@example.net"


def test_the_feedback_fields_are_there() -> None:
    fields = inner(part(email.message_from_bytes(_arf()), 1))
    assert fields["Feedback-Type"] == "abuse"
    assert fields["User-Agent"] == "Entente/0.1.0"
    assert fields["Version"] == "1"
    assert fields["Source-IP"] == "192.0.2.1"
    assert fields["Reported-Domain"] == "example.net"


def test_the_original_message_travels_intact() -> None:
    original = inner(part(email.message_from_bytes(_arf()), 2))
    expected = email.message_from_bytes(ORIGINAL.read_bytes())
    assert original["Message-ID"] == expected["Message-ID"]
    assert original["Subject"] == "Earn money"
    assert body_text(original).split() == body_text(expected).split()


def test_an_unregistered_feedback_type_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Feedback-Type"):
        _arf("annoying")


def test_an_original_without_headers_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no header"):
        parse_original(b"\r\njust a body\r\n")
