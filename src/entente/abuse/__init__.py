"""Abuse reporting: contacts from RDAP, X-ARF v4 and RFC 5965 reports, and their lifecycle.

The sans-IO core; the RDAP, SMTP and DNS adapters are imported by module path
(``entente.abuse.rdap_client``, ``entente.abuse.smtp``, ``entente.abuse.dns``).
"""

from __future__ import annotations

from entente.abuse.arf import FEEDBACK_TYPES, ArfFields, build_arf, parse_original
from entente.abuse.bootstrap import BootstrapRegistry, parse_bootstrap, rdap_base_urls
from entente.abuse.contacts import (
    AbuseContact,
    ContactLookup,
    domain_abuse_contacts,
    ip_abuse_contacts,
)
from entente.abuse.mail import XARF_FILENAME, build_xarf_message
from entente.abuse.recheck import Recheck, Resolver, recheck
from entente.abuse.reports import (
    EXTENSION_ID,
    AbuseReport,
    ReportFormat,
    ReportStatus,
    StatusChange,
    advance,
    extension_definition,
    is_abuse_report,
    new_report,
    parse_report,
    render_report,
)
from entente.abuse.settings import DEFAULT_RDAP_BOOTSTRAP, AbuseSettings
from entente.abuse.targets import Target, TargetKind, parse_target, rdap_path
from entente.abuse.xarf import (
    XARF_VERSION,
    Evidence,
    Party,
    build_xarf,
    render_xarf,
    validate_xarf,
)

__all__ = [
    "DEFAULT_RDAP_BOOTSTRAP",
    "EXTENSION_ID",
    "FEEDBACK_TYPES",
    "XARF_FILENAME",
    "XARF_VERSION",
    "AbuseContact",
    "AbuseReport",
    "AbuseSettings",
    "ArfFields",
    "BootstrapRegistry",
    "ContactLookup",
    "Evidence",
    "Party",
    "Recheck",
    "ReportFormat",
    "ReportStatus",
    "Resolver",
    "StatusChange",
    "Target",
    "TargetKind",
    "advance",
    "build_arf",
    "build_xarf",
    "build_xarf_message",
    "domain_abuse_contacts",
    "extension_definition",
    "ip_abuse_contacts",
    "is_abuse_report",
    "new_report",
    "parse_bootstrap",
    "parse_original",
    "parse_report",
    "parse_target",
    "rdap_base_urls",
    "rdap_path",
    "recheck",
    "render_report",
    "render_xarf",
    "validate_xarf",
]
