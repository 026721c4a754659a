"""Readers that turn STIX bundles, MISP events and CSV / text feeds into STIX 2.1 candidates."""

from entente.ingest.candidates import Candidate
from entente.ingest.review import (
    Finding,
    LeftOutReason,
    OwnAddresses,
    Verdict,
    WarninglistLookup,
    review_value,
    value_label,
)
from entente.ingest.sources import (
    STDIN,
    Document,
    DocumentKind,
    InputFormat,
    LogRecogniser,
    Reviewer,
    discover,
    open_document,
)
from entente.ingest.values import TypedValue, ValueType

__all__ = [
    "STDIN",
    "Candidate",
    "Document",
    "DocumentKind",
    "Finding",
    "InputFormat",
    "LeftOutReason",
    "LogRecogniser",
    "OwnAddresses",
    "Reviewer",
    "TypedValue",
    "ValueType",
    "Verdict",
    "WarninglistLookup",
    "discover",
    "open_document",
    "review_value",
    "value_label",
]
