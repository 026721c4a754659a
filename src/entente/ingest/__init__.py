"""Readers that turn STIX bundles, MISP events and CSV / text feeds into STIX 2.1 candidates.

The names below load on first use (PEP 562): importing one submodule, as the command line
does at start-up, does not load the whole package.
"""

from __future__ import annotations

import typing

from entente import lazy_exports

if typing.TYPE_CHECKING:
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

# Where each exported name is defined.
_HOMES = {
    "Candidate": "entente.ingest.candidates",
    "Document": "entente.ingest.sources",
    "DocumentKind": "entente.ingest.sources",
    "Finding": "entente.ingest.review",
    "InputFormat": "entente.ingest.sources",
    "LeftOutReason": "entente.ingest.review",
    "LogRecogniser": "entente.ingest.sources",
    "OwnAddresses": "entente.ingest.review",
    "Reviewer": "entente.ingest.sources",
    "STDIN": "entente.ingest.sources",
    "TypedValue": "entente.ingest.values",
    "ValueType": "entente.ingest.values",
    "Verdict": "entente.ingest.review",
    "WarninglistLookup": "entente.ingest.review",
    "discover": "entente.ingest.sources",
    "open_document": "entente.ingest.sources",
    "review_value": "entente.ingest.review",
    "value_label": "entente.ingest.review",
}


__getattr__ = lazy_exports.lazy_getattr(__name__, _HOMES, globals())
