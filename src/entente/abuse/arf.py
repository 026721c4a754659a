"""RFC 5965 Abuse Reporting Format: a ``multipart/report`` e-mail about an abusive e-mail.

Three parts (RFC 5965 §2): a human-readable explanation, the machine-readable
``message/feedback-report`` (``Feedback-Type``, ``User-Agent``, ``Version`` required, §3.1),
and the original message (``message/rfc822``). Built with the standard ``email`` package.
"""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser

from entente.errors import InvalidInput

__all__ = ["FEEDBACK_TYPES", "ArfFields", "build_arf", "parse_original"]

# RFC 5965 §7.3 and the IANA "Feedback Report Type Values" registry.
FEEDBACK_TYPES = frozenset({"abuse", "fraud", "other", "virus", "not-spam", "auth-failure"})


@dataclass(frozen=True, slots=True)
class ArfFields:
    """The fields of the ``message/feedback-report`` part (RFC 5965 §3.1 - §3.3)."""

    feedback_type: str
    user_agent: str
    source_ip: str | None = None
    arrival_date: str | None = None
    original_mail_from: str | None = None
    original_rcpt_to: Sequence[str] = ()
    reported_domain: Sequence[str] = ()
    reported_uri: Sequence[str] = ()
    incidents: int | None = None


def parse_original(data: bytes) -> Message:
    """The reported message (RFC 5322 text); ``InvalidInput`` when it has no header at all."""
    original = BytesParser(policy=email.policy.compat32).parsebytes(data)
    if not original.keys():
        raise InvalidInput("the original message has no header (RFC 5322 §2.1)")
    return original


def _report_part(fields: ArfFields) -> Message:
    lines = [
        f"Feedback-Type: {fields.feedback_type}",
        f"User-Agent: {fields.user_agent}",
        "Version: 1",
    ]
    if fields.original_mail_from:
        lines.append(f"Original-Mail-From: <{fields.original_mail_from}>")
    lines.extend(f"Original-Rcpt-To: <{r}>" for r in fields.original_rcpt_to)
    if fields.arrival_date:
        lines.append(f"Arrival-Date: {fields.arrival_date}")
    if fields.source_ip:
        lines.append(f"Source-IP: {fields.source_ip}")
    if fields.incidents is not None:
        lines.append(f"Incidents: {fields.incidents}")
    lines.extend(f"Reported-Domain: {d}" for d in fields.reported_domain)
    lines.extend(f"Reported-Uri: {u}" for u in fields.reported_uri)
    part = Message()
    part["Content-Type"] = "message/feedback-report"
    part["Content-Transfer-Encoding"] = "7bit"
    # §3: the fields are a header block; a str payload is written as is.
    part.set_payload("\r\n".join(lines) + "\r\n")
    return part


def build_arf(
    *,
    fields: ArfFields,
    original: Message,
    sender: str,
    recipient: str,
    subject: str,
    explanation: str,
    date: str,
    message_id: str,
) -> Message:
    """The ARF message; ``InvalidInput`` for a feedback type RFC 5965 does not define."""
    if fields.feedback_type not in FEEDBACK_TYPES:
        raise InvalidInput(f"Feedback-Type {fields.feedback_type!r} is not one of RFC 5965 §7.3")
    if not fields.user_agent.strip():
        raise InvalidInput("User-Agent is required (RFC 5965 §3.1)")
    report = MIMEMultipart("report", report_type="feedback-report")
    report["From"] = sender
    report["To"] = recipient
    report["Subject"] = subject
    report["Date"] = date
    report["Message-ID"] = message_id
    report.attach(MIMEText(explanation, "plain", "utf-8"))
    report.attach(_report_part(fields))
    report.attach(MIMEMessage(original))
    return report
