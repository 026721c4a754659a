"""The names of a package's files, shared by the writer and the verifier."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ARTIFACTS",
    "CASE",
    "CUSTODY",
    "ENVELOPE",
    "REPORT_MD",
    "REPORT_PDF",
    "SEAL",
    "STIX_BUNDLE",
    "TOKEN",
    "TRUST",
    "TSA_CHAIN",
    "UNSIGNED",
]

CASE: Final = "case.jsonld"
STIX_BUNDLE: Final = "stix/bundle.json"
ARTIFACTS: Final = "artifacts/"
CUSTODY: Final = "custody.jsonl"
REPORT_MD: Final = "report.md"
REPORT_PDF: Final = "report.pdf"
TRUST: Final = "trust.json"
ENVELOPE: Final = "statement.intoto.json"
TOKEN: Final = "timestamp/token.tsr"
TSA_CHAIN: Final = "timestamp/tsa-chain.pem"
SEAL: Final = "timestamp/seal.dsse.json"
# Made after the Statement is signed, so it cannot list them; each is checked on its own.
UNSIGNED: Final = frozenset({ENVELOPE, TOKEN, TSA_CHAIN, SEAL})
