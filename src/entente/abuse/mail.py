"""The e-mail that carries an X-ARF v4 report: a short text for people and the report as a
JSON attachment (X-ARF v4 is transport-neutral; e-mail is what abuse desks read)."""

from __future__ import annotations

from email.message import EmailMessage

__all__ = ["XARF_FILENAME", "build_xarf_message"]

XARF_FILENAME = "xarf-report.json"


def build_xarf_message(
    *,
    report: bytes,
    sender: str,
    recipient: str,
    subject: str,
    explanation: str,
    date: str,
    message_id: str,
) -> EmailMessage:
    """``multipart/mixed``: the explanation, then the report (``application/json``)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    message.set_content(explanation)
    message.add_attachment(report, maintype="application", subtype="json", filename=XARF_FILENAME)
    return message
