"""Delivery of report e-mails through the configured SMTP relay (``smtplib``): STARTTLS
(RFC 3207) and AUTH (RFC 4954) when configured. The node's one SMTP adapter."""

from __future__ import annotations

import smtplib
import ssl
from email.message import Message

from entente.abuse.settings import AbuseSettings
from entente.errors import ConfigurationError, DeliveryFailed

__all__ = ["SmtpRelay"]


class SmtpRelay:
    """Hands messages to the relay; one connection per message (reports are few)."""

    def __init__(self, settings: AbuseSettings, tls: ssl.SSLContext | None = None) -> None:
        if settings.smtp_host is None:
            raise ConfigurationError("no SMTP relay: set [abuse] smtp_host in entente.toml")
        self._settings = settings
        self._tls = tls

    def deliver(self, message: Message) -> None:
        """Send ``message`` to its ``To``; ``DeliveryFailed`` when the relay refuses it or
        cannot be reached (nothing was accepted then)."""
        s = self._settings
        assert s.smtp_host is not None  # checked in __init__
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as client:
                if s.smtp_starttls:
                    client.starttls(context=self._tls or ssl.create_default_context())
                if s.smtp_username is not None:
                    client.login(s.smtp_username, s.smtp_password or "")
                refused = client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP relay {s.smtp_host}:{s.smtp_port}: {exc}") from exc
        if refused:
            raise DeliveryFailed(f"SMTP relay refused recipients: {sorted(refused)}")
