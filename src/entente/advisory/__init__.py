"""Joint advisories: a STIX report, a human advisory and the co-authors' signatures.

Issue 15 item 4: from a case or a selection of objects, ``build_advisory`` makes the STIX
``report`` (techniques resolved against a pinned ATT&CK release, courses of action, IOCs, the
highest TLP of its content), ``render_markdown``/``render_pdf`` the advisory laid out like a
CISA/FBI joint Cybersecurity Advisory, ``build_package`` the deterministic tar signed by the
author (DSSE over an in-toto Statement), ``cosign_package`` a co-author's signature and
``verify_advisory`` the offline check, m-of-n.
"""

from entente.advisory.attack import AttackRelease, Mitigation, TechniqueRow
from entente.advisory.iocs import Ioc
from entente.advisory.model import Advisory, AdvisoryDraft, Agency, AttackData
from entente.advisory.package import (
    PREDICATE_TYPE,
    STATEMENT_MEDIA_TYPE,
    build_package,
    cosign_package,
    read_predicate,
    read_statement,
    trust_root,
)
from entente.advisory.render import render_markdown, render_pdf
from entente.advisory.report import build_advisory
from entente.advisory.verify import verify_advisory

__all__ = [
    "PREDICATE_TYPE",
    "STATEMENT_MEDIA_TYPE",
    "Advisory",
    "AdvisoryDraft",
    "Agency",
    "AttackData",
    "AttackRelease",
    "Ioc",
    "Mitigation",
    "TechniqueRow",
    "build_advisory",
    "build_package",
    "cosign_package",
    "read_predicate",
    "read_statement",
    "render_markdown",
    "render_pdf",
    "trust_root",
    "verify_advisory",
]
