"""The SMTP adapter against aiosmtpd on loopback: the report arrives, attachments intact."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from tests.unit.abuse.local_smtp import LocalSmtp

from entente.abuse import AbuseSettings, build_xarf_message
from entente.abuse.smtp import SmtpRelay
from entente.errors import ConfigurationError, DeliveryFailed

pytestmark = pytest.mark.integration

REPORT = json.dumps({"xarf_version": "4.0.0", "source_identifier": "192.0.2.50"}).encode()


def message() -> EmailMessage:
    return build_xarf_message(
        report=REPORT,
        sender="cert@acme.example",
        recipient="abuse@registrar.eu",
        subject="[X-ARF] Abuse report: 192.0.2.50",
        explanation="See the attached X-ARF v4 report.",
        date="Sat, 05 Dec 2026 10:00:00 +0000",
        message_id="<r1@acme.example>",
    )


def test_the_report_arrives_with_its_attachment_intact() -> None:
    with LocalSmtp() as smtp:
        relay = SmtpRelay(
            AbuseSettings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)
        )
        relay.deliver(message())
    [got] = smtp.received
    assert got.mail_from == "cert@acme.example"
    assert got.rcpt_tos == ("abuse@registrar.eu",)
    parsed = email.message_from_bytes(got.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "xarf-report.json"
    assert attachment.get_content_type() == "application/json"
    assert attachment.get_payload(decode=True) == REPORT


def test_starttls_and_login_are_used_when_configured(tmp_path: Path) -> None:
    with LocalSmtp(tls_folder=tmp_path, account=("cert", "s3cret")) as smtp:
        settings = AbuseSettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=True,
            smtp_username="cert",
            smtp_password="s3cret",
        )
        SmtpRelay(settings, tls=smtp.client_tls).deliver(message())
        assert len(smtp.received) == 1
        wrong = AbuseSettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_username="cert",
            smtp_password="guess",
        )
        with pytest.raises(DeliveryFailed, match="SMTP relay"):
            SmtpRelay(wrong, tls=smtp.client_tls).deliver(message())
        assert len(smtp.received) == 1


def test_a_relay_that_requires_tls_refuses_a_plain_session(tmp_path: Path) -> None:
    with LocalSmtp(tls_folder=tmp_path) as smtp:
        plain = AbuseSettings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)
        with pytest.raises(DeliveryFailed):
            SmtpRelay(plain).deliver(message())
    assert smtp.received == []


def test_no_relay_configured_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="smtp_host"):
        SmtpRelay(AbuseSettings())
