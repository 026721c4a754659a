"""Matching: shared indicators hunted through a partner's own logs, hits turned into sightings.

``patterns`` and ``indicators`` compile the active STIX indicators into typed terms; ``sources``
reads Zeek, Suricata EVE, OCSF, CSV flows and Parquet with DuckDB into Arrow batches; ``engine``
matches them (``reference`` is its naive twin); ``hits`` writes hits; ``sightings`` aggregates
them into STIX sightings. The engine and everything it needs are sans-IO (see README.md).
"""

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

__all__ = [
    "CompiledIndicator",
    "CsvMapping",
    "Engine",
    "FieldSpec",
    "FileReport",
    "Hit",
    "IndicatorSet",
    "JsonLinesHitWriter",
    "LogBatch",
    "LogReader",
    "Malformed",
    "NotDeployable",
    "ParquetHitWriter",
    "PatternVerdict",
    "SightingAggregator",
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
