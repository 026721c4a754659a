"""Matching: shared indicators hunted through a partner's own logs, hits turned into sightings.

``patterns`` and ``indicators`` compile the active STIX indicators into typed terms; ``sources``
reads Zeek, Suricata EVE, OCSF, CSV flows and Parquet with DuckDB into Arrow batches; ``engine``
matches them (``reference`` is its naive twin); ``hits`` writes hits; ``sightings`` aggregates
them into STIX sightings; ``suppression`` holds back the hits of warninglisted terms. The
engine and everything it needs are sans-IO (see README.md).
"""

# The names below are loaded on first use (PEP 562): reading logs and matching them need
# DuckDB, pyarrow and numpy, about a third of a second to import, which every other command
# of the CLI would otherwise pay at start-up for nothing.

from __future__ import annotations

import typing

from entente import lazy_exports

if typing.TYPE_CHECKING:
    from entente.matching.engine import Engine
    from entente.matching.hits import JsonLinesHitWriter, ParquetHitWriter, hit_to_json
    from entente.matching.indicators import (
        compile_indicator,
        indicator_set_fingerprint,
        select_active,
    )
    from entente.matching.model import (
        CompiledIndicator,
        FieldSpec,
        Hit,
        IndicatorSet,
        LogBatch,
        Malformed,
        NotDeployable,
        Term,
        TermOp,
        ValueKind,
    )
    from entente.matching.patterns import PatternVerdict, compile_pattern
    from entente.matching.reference import match_batch
    from entente.matching.sightings import SightingAggregator
    from entente.matching.sources import (
        CsvMapping,
        FileReport,
        LogReader,
        detect_format,
        expand_paths,
        open_logs,
        parse_csv_mapping,
    )
    from entente.matching.suppression import HitFilter, SuppressedTally, SuppressedValue

_SOURCES: dict[str, str] = {
    "CompiledIndicator": "entente.matching.model",
    "CsvMapping": "entente.matching.sources",
    "Engine": "entente.matching.engine",
    "FieldSpec": "entente.matching.model",
    "FileReport": "entente.matching.sources",
    "HitFilter": "entente.matching.suppression",
    "Hit": "entente.matching.model",
    "IndicatorSet": "entente.matching.model",
    "JsonLinesHitWriter": "entente.matching.hits",
    "LogBatch": "entente.matching.model",
    "LogReader": "entente.matching.sources",
    "Malformed": "entente.matching.model",
    "NotDeployable": "entente.matching.model",
    "ParquetHitWriter": "entente.matching.hits",
    "PatternVerdict": "entente.matching.patterns",
    "SightingAggregator": "entente.matching.sightings",
    "SuppressedTally": "entente.matching.suppression",
    "SuppressedValue": "entente.matching.suppression",
    "Term": "entente.matching.model",
    "TermOp": "entente.matching.model",
    "ValueKind": "entente.matching.model",
    "compile_indicator": "entente.matching.indicators",
    "compile_pattern": "entente.matching.patterns",
    "detect_format": "entente.matching.sources",
    "expand_paths": "entente.matching.sources",
    "hit_to_json": "entente.matching.hits",
    "indicator_set_fingerprint": "entente.matching.indicators",
    "match_batch": "entente.matching.reference",
    "open_logs": "entente.matching.sources",
    "parse_csv_mapping": "entente.matching.sources",
    "select_active": "entente.matching.indicators",
}

__all__ = [
    "CompiledIndicator",
    "CsvMapping",
    "Engine",
    "FieldSpec",
    "FileReport",
    "Hit",
    "HitFilter",
    "IndicatorSet",
    "JsonLinesHitWriter",
    "LogBatch",
    "LogReader",
    "Malformed",
    "NotDeployable",
    "ParquetHitWriter",
    "PatternVerdict",
    "SightingAggregator",
    "SuppressedTally",
    "SuppressedValue",
    "Term",
    "TermOp",
    "ValueKind",
    "compile_indicator",
    "compile_pattern",
    "detect_format",
    "expand_paths",
    "hit_to_json",
    "indicator_set_fingerprint",
    "match_batch",
    "open_logs",
    "parse_csv_mapping",
    "select_active",
]


__getattr__ = lazy_exports.lazy_getattr(__name__, _SOURCES, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
