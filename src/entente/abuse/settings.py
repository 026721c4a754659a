"""The ``[abuse]`` settings: the SMTP relay reports go through, who reports, and where RDAP's
bootstrap registries are read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_RDAP_BOOTSTRAP", "AbuseSettings"]

# RFC 9224 §3: IANA publishes the registries here (ipv4.json, ipv6.json, dns.json).
DEFAULT_RDAP_BOOTSTRAP = "https://data.iana.org/rdap/"


@dataclass(frozen=True, slots=True)
class AbuseSettings:
    """How abuse reports leave the node; ``smtp_host`` None: no relay, nothing is sent."""

    smtp_host: str | None = None
    smtp_port: int = 587
    # STARTTLS (RFC 3207) before any credential or report crosses the wire.
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    # The reporter and sender of X-ARF reports and the From of every report e-mail.
    reporter_org: str = ""
    reporter_email: str = ""
    reporter_domain: str = ""
    rdap_bootstrap_url: str = DEFAULT_RDAP_BOOTSTRAP
    rdap_timeout: float = 15.0
