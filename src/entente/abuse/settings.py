"""The ``[abuse]`` settings: the SMTP relay reports go through, who reports, and where RDAP's
bootstrap registries are read."""

from __future__ import annotations

from dataclasses import dataclass

from entente.stix import Tlp

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
    # The highest TLP an object may carry to be attached to a report that leaves the
    # coalition. TLP 2.0: GREEN may go to peers and partner organisations in the community,
    # which is where an abuse desk stands; AMBER is for the recipient's organisation and its
    # clients only, so an AMBER object stays home unless the node raises this on purpose. RED
    # is never allowed (config refuses it).
    evidence_tlp: Tlp = Tlp.GREEN
