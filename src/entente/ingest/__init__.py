"""Readers that turn STIX bundles, MISP events and CSV / text feeds into STIX 2.1 candidates."""

from entente.ingest.candidates import Candidate
from entente.ingest.sources import (
    STDIN,
    Document,
    DocumentKind,
    InputFormat,
    LogRecogniser,
    discover,
    open_document,
)

__all__ = [
    "STDIN",
    "Candidate",
    "Document",
    "DocumentKind",
    "InputFormat",
    "LogRecogniser",
    "discover",
    "open_document",
]
