"""Evidence packages: a case's evidence as one deterministic, signed, timestamped tar.

A package is verifiable offline by anyone holding it (issue 14 item 4): every file's SHA-256 is
listed in an in-toto Statement v1, wrapped in a DSSE envelope signed by the node and optionally
co-signed by partners under an m-of-n threshold declared in the package's trust root, with an
RFC 3161 timestamp over the node's signature. ``writer`` builds it, ``verify`` checks it.
"""

from entente.evidence.model import (
    Authorization,
    EvidenceInput,
    Exhibit,
    InvestigativeAction,
    TrustedKey,
    TrustRoot,
)

__all__ = [
    "Authorization",
    "EvidenceInput",
    "Exhibit",
    "InvestigativeAction",
    "TrustRoot",
    "TrustedKey",
]
