"""Abuse reporting: contacts from RDAP, X-ARF v4 and RFC 5965 reports, and their lifecycle.

The sans-IO core; the RDAP, SMTP and DNS adapters are imported by module path
(``entente.abuse.rdap_client``, ``entente.abuse.smtp``, ``entente.abuse.dns``).
"""

# The names below are loaded on first use (PEP 562): the settings (``entente.config`` reads
# them for every command) must not pull in jsonschema and the e-mail package at start-up.

from __future__ import annotations

import typing

from entente import lazy_exports

if typing.TYPE_CHECKING:
    from entente.abuse.arf import (
        FEEDBACK_TYPES,
        ArfFields,
        build_arf,
        parse_original,
    )
    from entente.abuse.bootstrap import (
        BootstrapRegistry,
        parse_bootstrap,
        rdap_base_urls,
    )
    from entente.abuse.contacts import (
        AbuseContact,
        ContactLookup,
        domain_abuse_contacts,
        ip_abuse_contacts,
    )
    from entente.abuse.mail import (
        XARF_FILENAME,
        build_xarf_message,
    )
    from entente.abuse.rechecks import (
        Recheck,
        Resolver,
        recheck,
    )
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
    from entente.abuse.settings import (
        DEFAULT_RDAP_BOOTSTRAP,
        AbuseSettings,
    )
    from entente.abuse.sla import (
        DEFAULT_SLA_HOURS,
        Deadline,
        DeadlineState,
        TakedownSettings,
        deadline,
    )
    from entente.abuse.targets import (
        Target,
        TargetKind,
        parse_target,
        rdap_path,
    )
    from entente.abuse.xarf import (
        XARF_VERSION,
        Evidence,
        Party,
        build_xarf,
        render_xarf,
        validate_xarf,
    )

_SOURCES = {
    "AbuseContact": "entente.abuse.contacts",
    "AbuseReport": "entente.abuse.reports",
    "AbuseSettings": "entente.abuse.settings",
    "ArfFields": "entente.abuse.arf",
    "BootstrapRegistry": "entente.abuse.bootstrap",
    "ContactLookup": "entente.abuse.contacts",
    "DEFAULT_RDAP_BOOTSTRAP": "entente.abuse.settings",
    "DEFAULT_SLA_HOURS": "entente.abuse.sla",
    "Deadline": "entente.abuse.sla",
    "DeadlineState": "entente.abuse.sla",
    "TakedownSettings": "entente.abuse.sla",
    "deadline": "entente.abuse.sla",
    "EXTENSION_ID": "entente.abuse.reports",
    "Evidence": "entente.abuse.xarf",
    "FEEDBACK_TYPES": "entente.abuse.arf",
    "Party": "entente.abuse.xarf",
    "Recheck": "entente.abuse.rechecks",
    "ReportFormat": "entente.abuse.reports",
    "ReportStatus": "entente.abuse.reports",
    "Resolver": "entente.abuse.rechecks",
    "StatusChange": "entente.abuse.reports",
    "Target": "entente.abuse.targets",
    "TargetKind": "entente.abuse.targets",
    "XARF_FILENAME": "entente.abuse.mail",
    "XARF_VERSION": "entente.abuse.xarf",
    "advance": "entente.abuse.reports",
    "build_arf": "entente.abuse.arf",
    "build_xarf": "entente.abuse.xarf",
    "build_xarf_message": "entente.abuse.mail",
    "domain_abuse_contacts": "entente.abuse.contacts",
    "extension_definition": "entente.abuse.reports",
    "ip_abuse_contacts": "entente.abuse.contacts",
    "is_abuse_report": "entente.abuse.reports",
    "new_report": "entente.abuse.reports",
    "parse_bootstrap": "entente.abuse.bootstrap",
    "parse_original": "entente.abuse.arf",
    "parse_report": "entente.abuse.reports",
    "parse_target": "entente.abuse.targets",
    "rdap_base_urls": "entente.abuse.bootstrap",
    "rdap_path": "entente.abuse.targets",
    "recheck": "entente.abuse.rechecks",
    "render_report": "entente.abuse.reports",
    "render_xarf": "entente.abuse.xarf",
    "validate_xarf": "entente.abuse.xarf",
}

__all__ = [
    "DEFAULT_RDAP_BOOTSTRAP",
    "DEFAULT_SLA_HOURS",
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
    "Deadline",
    "DeadlineState",
    "Evidence",
    "Party",
    "Recheck",
    "ReportFormat",
    "ReportStatus",
    "Resolver",
    "StatusChange",
    "TakedownSettings",
    "Target",
    "TargetKind",
    "advance",
    "build_arf",
    "build_xarf",
    "build_xarf_message",
    "deadline",
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


__getattr__ = lazy_exports.lazy_getattr(__name__, _SOURCES, globals())
