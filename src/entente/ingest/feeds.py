"""Streaming readers for CSV and text threat feeds (URLhaus, ThreatFox, Feodo, IPsum, lists)."""

from __future__ import annotations

import csv
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from types import MappingProxyType

from entente.ingest.candidates import Candidate
from entente.ingest.indicators import build_indicator, build_source_identity, to_stix_timestamp
from entente.ingest.review import Verdict
from entente.ingest.values import (
    TypedValue,
    ValueType,
    detect_value,
    extract_values,
    parse_value,
)

__all__ = ["FeedKind", "read_feed", "sniff_feed"]


class FeedKind(enum.StrEnum):
    """The feed layouts :func:`read_feed` understands."""

    URLHAUS_CSV = "urlhaus-csv"
    THREATFOX_CSV = "threatfox-csv"
    FEODO_CSV = "feodo-csv"
    IPSUM = "ipsum"
    LINES = "lines"
    FREETEXT = "freetext"


# Documented column layouts (the "# ..." header line each abuse.ch export carries).
# URLhaus CSV dump, https://urlhaus.abuse.ch/api/#csv
_URLHAUS_COLUMNS = (
    "id", "dateadded", "url", "url_status", "last_online", "threat", "tags", "urlhaus_link",
    "reporter",
)  # fmt: skip
# ThreatFox CSV export, https://threatfox.abuse.ch/export/#csv
_THREATFOX_COLUMNS = (
    "first_seen_utc", "ioc_id", "ioc_value", "ioc_type", "threat_type", "fk_malware",
    "malware_alias", "malware_printable", "last_seen_utc", "confidence_level", "reference",
    "tags", "anonymous", "reporter",
)  # fmt: skip
# Feodo Tracker IP blocklist CSV, https://feodotracker.abuse.ch/blocklist/
_FEODO_COLUMNS = ("first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware")

_LAYOUTS: Mapping[FeedKind, tuple[str, ...]] = MappingProxyType(
    {
        FeedKind.URLHAUS_CSV: _URLHAUS_COLUMNS,
        FeedKind.THREATFOX_CSV: _THREATFOX_COLUMNS,
        FeedKind.FEODO_CSV: _FEODO_COLUMNS,
    }
)
# The columns that identify a header line as a given layout.
_KEY_COLUMNS: Mapping[FeedKind, frozenset[str]] = MappingProxyType(
    {
        FeedKind.URLHAUS_CSV: frozenset({"dateadded", "url", "url_status", "urlhaus_link"}),
        FeedKind.THREATFOX_CSV: frozenset({"ioc_value", "ioc_type", "first_seen_utc"}),
        FeedKind.FEODO_CSV: frozenset({"dst_ip", "dst_port", "first_seen_utc"}),
    }
)

# ThreatFox ioc_type values (https://threatfox.abuse.ch/api/#types) that map to a value type.
_THREATFOX_TYPES: Mapping[str, ValueType] = MappingProxyType(
    {
        "ip:port": ValueType.IP_PORT,
        "domain": ValueType.DOMAIN,
        "url": ValueType.URL,
        "md5_hash": ValueType.MD5,
        "sha1_hash": ValueType.SHA1,
        "sha256_hash": ValueType.SHA256,
        "sha512_hash": ValueType.SHA512,
    }
)

# abuse.ch writes "None" for an empty field.
_EMPTY = frozenset({"", "none", "null", "n/a", "-"})

_IPSUM_CONFIDENCE_PER_LIST = 10
"""IPsum confidence: ``min(100, 10 * count)`` where count is the number of blocklists that
list the address (IPsum's second column; its own "levels" start at 3 lists = 30)."""

# The time a feed says it was generated, in its banner: abuse.ch "# Last updated: 2024-04-04
# 07:03:03 UTC" (URLhaus adds "(UTC)"), IPsum "# Last update: Sat, 22 Aug 2026 03:00:29 +0200"
# (RFC 5322 §3.3 date-time).
_LAST_UPDATE_RE = re.compile(r"^(?:#|;|//)\s*last[ -]?updated?\s*:\s*(.+?)[\s#]*$", re.IGNORECASE)


def _feed_time(line: str) -> str | None:
    """The STIX timestamp of a "Last update(d):" banner line, else ``None``."""
    m = _LAST_UPDATE_RE.match(line)
    if m is None:
        return None
    text = m.group(1).replace("(UTC)", "UTC").strip()
    stamp = to_stix_timestamp(text)
    if stamp is not None:
        return stamp
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 5322 "-0000": UTC, origin unknown
        moment = moment.replace(tzinfo=UTC)
    return to_stix_timestamp(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


_LINE_COMMENT = ("#", ";", "//")
_INLINE_COMMENT_RE = re.compile(r"\s+(?:#|;|//)")
_IPSUM_LINE_RE = re.compile(r"^(\S+)\s+(\d+)$")
_SNIFF_MAX_BAD = 0.1


@dataclass(frozen=True, slots=True)
class _Spec:
    """What one feed row says about its value, before it becomes an indicator."""

    value: TypedValue
    name: str | None = None
    description: str | None = None
    labels: tuple[str, ...] = ()
    confidence: int | None = None
    valid_from: str | None = None
    external_references: tuple[Mapping[str, str], ...] = field(default=())


class _RowError(Exception):
    """A line that cannot be read; the message is the reason reported in the candidate."""


def _opt(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return None if text.lower() in _EMPTY else text


def _tags(text: str | None) -> tuple[str, ...]:
    raw = _opt(text)
    if raw is None:
        return ()
    return tuple(t for t in (tag.strip() for tag in raw.split(",")) if _opt(t) is not None)


def _timestamp(row: Mapping[str, str], column: str) -> str:
    raw = _opt(row.get(column))
    if raw is None:
        raise _RowError(f"{column} is empty")
    stamp = to_stix_timestamp(raw)
    if stamp is None:
        raise _RowError(f"{column} {raw!r} is not a timestamp")
    return stamp


def _value(row: Mapping[str, str], column: str, value_type: ValueType) -> TypedValue:
    raw = row.get(column, "")
    value = parse_value(raw, value_type)
    if value is None:
        raise _RowError(f"{column} {raw!r} is not a valid {value_type.value} value")
    return value


# --- per-layout rows -------------------------------------------------------------------------


def _urlhaus(row: Mapping[str, str]) -> _Spec:
    value = _value(row, "url", ValueType.URL)
    threat = _opt(row.get("threat"))
    status = _opt(row.get("url_status")) or "unknown"
    parts = [f"URLhaus URL, status {status}"]
    if (last := _opt(row.get("last_online"))) is not None:
        parts.append(f"last online {last}")
    if (reporter := _opt(row.get("reporter"))) is not None:
        parts.append(f"reported by {reporter}")
    refs: tuple[Mapping[str, str], ...] = ()
    if (link := _opt(row.get("urlhaus_link"))) is not None:
        ref = {"source_name": "URLhaus", "url": link}
        if (uid := _opt(row.get("id"))) is not None:
            ref["external_id"] = uid
        refs = (ref,)
    return _Spec(
        value,
        name=f"URLhaus: {threat}" if threat else "URLhaus",
        description=", ".join(parts),
        labels=_tags(row.get("tags")),
        valid_from=_timestamp(row, "dateadded"),
        external_references=refs,
    )


def _threatfox(row: Mapping[str, str]) -> _Spec:
    ioc_type = (_opt(row.get("ioc_type")) or "").lower()
    value_type = _THREATFOX_TYPES.get(ioc_type)
    if value_type is None:
        raise _RowError(f"unsupported ThreatFox ioc_type {ioc_type!r}")
    value = _value(row, "ioc_value", value_type)
    confidence: int | None = None
    if (raw_conf := _opt(row.get("confidence_level"))) is not None:
        if not raw_conf.isdigit() or int(raw_conf) > 100:
            raise _RowError(f"confidence_level {raw_conf!r} is not an integer 0-100")
        confidence = int(raw_conf)
    malware = _opt(row.get("malware_printable"))
    threat_type = _opt(row.get("threat_type"))
    description = f"ThreatFox {threat_type or 'IOC'}"
    if malware:
        description += f" of {malware}"
    if (aliases := _opt(row.get("malware_alias"))) is not None:
        description += f" (aliases: {aliases})"
    refs: list[Mapping[str, str]] = []
    if (ioc_id := _opt(row.get("ioc_id"))) is not None:
        refs.append(
            {
                "source_name": "ThreatFox",
                "url": f"https://threatfox.abuse.ch/ioc/{ioc_id}/",
                "external_id": ioc_id,
            }
        )
    if (reference := _opt(row.get("reference"))) is not None and "://" in reference:
        refs.append({"source_name": "ThreatFox reference", "url": reference})
    return _Spec(
        value,
        name=f"ThreatFox: {malware or threat_type or value_type.value}",
        description=description,
        labels=((malware,) if malware else ()) + _tags(row.get("tags")),
        confidence=confidence,
        valid_from=_timestamp(row, "first_seen_utc"),
        external_references=tuple(refs),
    )


def _feodo(row: Mapping[str, str]) -> _Spec:
    ip = (row.get("dst_ip") or "").strip()
    port = _opt(row.get("dst_port"))
    if port is None:
        value = _value(row, "dst_ip", ValueType.IPV6 if ":" in ip else ValueType.IPV4)
    else:
        host = f"[{ip}]" if ":" in ip else ip
        found = parse_value(f"{host}:{port}", ValueType.IP_PORT)
        if found is None:
            raise _RowError(f"dst_ip {ip!r} / dst_port {port!r} is not a valid IP and port")
        value = found
    malware = _opt(row.get("malware"))
    parts = [f"{malware or 'Botnet'} C2 server (Feodo Tracker)"]
    if (status := _opt(row.get("c2_status"))) is not None:
        parts.append(f"status {status}")
    if (last := _opt(row.get("last_online"))) is not None:
        parts.append(f"last online {last}")
    return _Spec(
        value,
        name=f"Feodo Tracker: {malware} C2" if malware else "Feodo Tracker C2",
        description=", ".join(parts),
        labels=(malware,) if malware else (),
        valid_from=_timestamp(row, "first_seen_utc"),
        external_references=(
            {
                "source_name": "Feodo Tracker",
                "url": f"https://feodotracker.abuse.ch/browse/host/{value.host}/",
            },
        ),
    )


_CSV_ROWS: Mapping[FeedKind, Callable[[Mapping[str, str]], _Spec]] = MappingProxyType(
    {FeedKind.URLHAUS_CSV: _urlhaus, FeedKind.THREATFOX_CSV: _threatfox, FeedKind.FEODO_CSV: _feodo}
)


def _csv_fields(line: str) -> list[str]:
    try:
        # abuse.ch exports quote every field; ThreatFox separates them with ", ".
        return next(csv.reader([line], skipinitialspace=True, strict=True))
    except csv.Error as exc:
        raise _RowError(f"bad CSV row: {exc}") from None
    except StopIteration:  # pragma: no cover - a non-blank line always gives a row
        return []


def _header_columns(line: str, kind: FeedKind) -> tuple[str, ...] | None:
    """The column names ``line`` declares, when it is a header of ``kind``'s layout."""
    try:
        names = next(csv.reader([line], skipinitialspace=True))
    except (csv.Error, StopIteration):
        return None
    columns = tuple(name.strip().lower() for name in names)
    return columns if _KEY_COLUMNS[kind] <= set(columns) else None


def _ipsum(line: str) -> _Spec:
    # IPsum layout (https://github.com/stamparm/ipsum): "IP<TAB>number of (black)lists".
    m = _IPSUM_LINE_RE.match(line.strip())
    if m is None:
        raise _RowError("expected an IP address, a tab and a blocklist count")
    raw, count = m.group(1), int(m.group(2))
    value = parse_value(raw, ValueType.IPV6 if ":" in raw else ValueType.IPV4)
    if value is None:
        raise _RowError(f"{raw!r} is not an IP address")
    return _Spec(
        value,
        description=f"listed on {count} blocklists",
        confidence=min(100, _IPSUM_CONFIDENCE_PER_LIST * count),
    )


def _single(line: str) -> _Spec:
    token = _INLINE_COMMENT_RE.split(line, maxsplit=1)[0].strip()
    value = detect_value(token)
    if value is None:
        raise _RowError(f"{token[:200]!r} is not a recognised indicator value")
    return _Spec(value)


# --- reading ---------------------------------------------------------------------------------


def read_feed(
    text_lines: Iterable[str],
    *,
    kind: FeedKind,
    source: str,
    source_name: str,
    now: str,
    markings: Sequence[str] = (),
    review: Callable[[TypedValue], Verdict] | None = None,
) -> Iterator[Candidate]:
    """Stream a feed's lines into candidates: the feed identity first, then one indicator per
    distinct value (``position="line N"``), and an error candidate for each unreadable line.

    ``review`` judges each distinct value first (``entente.ingest.review``); a value it leaves
    out comes as a candidate without data, carrying the verdict.

    A "Last update(d):" banner line dates the indicators after it: their ``created`` and
    ``modified`` (the feed stated them then), and ``valid_from`` where the row has no date of
    its own, so an old feed ingested today does not score as fresh (scoring ages indicators
    from ``valid_from``). A time after ``now`` (a clock ahead of ours) is taken as ``now``."""
    identity = build_source_identity(source_name, now)
    yield Candidate(source=source, position="header", data=identity, derived=True)
    creator = identity["id"]
    seen: set[TypedValue] = set()
    columns = _LAYOUTS.get(kind)
    published: str | None = None

    def emit(spec: _Spec, position: str) -> Candidate | None:
        if spec.value in seen:
            return None  # a repeated value keeps its first row (same deterministic id)
        seen.add(spec.value)
        verdict = review(spec.value) if review is not None else None
        if verdict is not None and not verdict.kept:
            return Candidate(
                source=source, position=position, data=None, value=spec.value, verdict=verdict
            )
        indicator = build_indicator(
            spec.value,
            source_name=source_name,
            now=published or now,
            created_by_ref=creator,
            name=spec.name,
            description=spec.description,
            labels=spec.labels,
            confidence=spec.confidence,
            valid_from=spec.valid_from,
            markings=markings,
            external_references=spec.external_references,
        )
        return Candidate(
            source=source,
            position=position,
            data=indicator,
            derived=True,
            value=spec.value,
            verdict=verdict,
        )

    for number, raw in enumerate(text_lines, start=1):
        line = raw.rstrip("\r\n")
        if number == 1:
            line = line.lstrip("\ufeff")
        position = f"line {number}"
        stripped = line.strip()
        if published is None and stripped.startswith(_LINE_COMMENT):
            stated = _feed_time(stripped)
            if stated is not None:
                published = min(stated, now, key=_stamp_key)
        if kind is FeedKind.FREETEXT:
            for value in extract_values(line):
                candidate = emit(_Spec(value), position)
                if candidate is not None:
                    yield candidate
            continue
        if not stripped:
            continue
        if stripped.startswith(_LINE_COMMENT if kind is FeedKind.LINES else "#"):
            if kind in _CSV_ROWS:
                header = _header_columns(stripped.lstrip("#").strip(), kind)
                columns = header or columns
            continue
        try:
            if kind is FeedKind.IPSUM:
                spec = _ipsum(stripped)
            elif kind is FeedKind.LINES:
                spec = _single(stripped)
            else:
                if columns is None:  # pragma: no cover - every CSV kind has a layout
                    raise _RowError(f"{kind.value} has no column layout")
                if (header := _header_columns(stripped, kind)) is not None:
                    columns = header  # an uncommented header line
                    continue
                fields = _csv_fields(stripped)
                if len(fields) != len(columns):
                    raise _RowError(
                        f"expected {len(columns)} CSV fields ({kind.value}), found {len(fields)}"
                    )
                spec = _CSV_ROWS[kind](dict(zip(columns, fields, strict=True)))
        except _RowError as exc:
            yield Candidate(source=source, position=position, data=None, error=str(exc))
            continue
        candidate = emit(spec, position)
        if candidate is not None:
            yield candidate


def _stamp_key(stamp: str) -> tuple[str, str]:
    # STIX timestamps compare as text once their fractions have one length (§3.2 lets the
    # ingest time carry microseconds and a feed's time milliseconds).
    whole, _, fraction = stamp.removesuffix("Z").partition(".")
    return whole, fraction.ljust(9, "0")


# --- sniffing --------------------------------------------------------------------------------

_BRANDS: tuple[tuple[str, FeedKind], ...] = (
    ("urlhaus", FeedKind.URLHAUS_CSV),
    ("threatfox", FeedKind.THREATFOX_CSV),
    ("feodo", FeedKind.FEODO_CSV),
)


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    bad = sum(1 for c in text if c == "\ufffd" or (ord(c) < 32 and c not in "\t\r\n\f\v"))
    return bad > _SNIFF_MAX_BAD * len(text)


def sniff_feed(head: str) -> FeedKind | None:
    """The layout of a feed from its first few KB; ``None`` when it is not a text feed
    (JSON, binary) so that another reader can take it."""
    text = head.lstrip("\ufeff")
    if text.lstrip()[:1] in ("{", "[") or _looks_binary(text):
        return None
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut off mid-value
    comments = [ln.strip()[1:].strip() for ln in lines if ln.strip().startswith("#")]
    data = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    # 1. a documented column header, commented (abuse.ch style) or as the first data line
    for candidate in [*comments, *data[:1]]:
        for kind in _LAYOUTS:
            if _header_columns(candidate, kind) is not None:
                return kind
    if not data:
        return FeedKind.LINES
    # 2. IPsum: "IP<TAB>count" rows
    if all(
        (m := _IPSUM_LINE_RE.match(ln)) is not None and detect_value(m.group(1)) is not None
        for ln in data
    ):
        return FeedKind.IPSUM
    # 3. one value per line (Feodo and ThreatFox plain-text lists, IPsum levels, blocklists)
    if all(_is_single(ln) for ln in data):
        return FeedKind.LINES
    # 4. an abuse.ch banner over quoted CSV rows whose header we did not see
    banner = " ".join(comments).lower()
    if data[0].startswith('"'):
        for brand, kind in _BRANDS:
            if brand in banner:
                return kind
    return FeedKind.FREETEXT


def _is_single(line: str) -> bool:
    if line.startswith(_LINE_COMMENT):
        return True
    try:
        _single(line)
    except _RowError:
        return False
    return True
