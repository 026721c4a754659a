"""Zeek logs: the fields matched in each log, the TSV header, and the SQL reading both forms.

Zeek writes every log either as TSV with a ``#separator``/``#fields``/``#types`` header or as
JSON lines with dotted keys (``id.orig_h``). Both forms are read through the same field map,
so a TSV log and its JSON twin give the same values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from entente.matching.duck import (
    JsonShape,
    Projection,
    context_struct,
    epoch_seconds,
    http_url,
    literal,
)
from entente.matching.model import FieldSpec, ValueKind
from entente.matching.textlines import open_text

__all__ = [
    "CONTEXT_KEYS",
    "FIELDS",
    "HEADER_DIRECTIVES",
    "KNOWN_LOGS",
    "ZEEK_LOGS",
    "TsvHeader",
    "ZeekField",
    "context_keys_for",
    "fields_for",
    "json_projection",
    "log_from_filename",
    "logs_in_head",
    "parse_tsv_header",
    "read_tsv_header",
    "tsv_projection",
    "unescape",
    "unescape_batch",
]


@dataclass(frozen=True, slots=True)
class ZeekField:
    """A matched field and the Zeek logs that carry it (among ``KNOWN_LOGS``)."""

    spec: FieldSpec
    logs: frozenset[str] | None


def _field(
    name: str, kind: ValueKind, logs: str | frozenset[str] | None, *, many: bool = False
) -> ZeekField:
    carried = frozenset({logs}) if isinstance(logs, str) else logs
    return ZeekField(FieldSpec(name, kind, many), carried)


# The logs with a connection's addresses (x509 describes a certificate, not a connection).
_CONNECTION_LOGS: Final = frozenset({"conn", "dns", "http", "ssl", "files", "smtp"})


# The fields matched, by the logs of Zeek's base scripts (and the ja3/ja4 packages for ssl).
# ``url`` is not a Zeek field: it is built from http's ``host`` and ``uri``.
FIELDS: Final[tuple[ZeekField, ...]] = (
    _field("id.orig_h", ValueKind.IP, _CONNECTION_LOGS),
    _field("id.resp_h", ValueKind.IP, _CONNECTION_LOGS),
    _field("query", ValueKind.DOMAIN, "dns"),
    _field("answers", ValueKind.HOST, "dns", many=True),
    _field("host", ValueKind.HOST, "http"),
    _field("url", ValueKind.URL, "http"),
    _field("server_name", ValueKind.DOMAIN, "ssl"),
    _field("ja3", ValueKind.JA3, "ssl"),
    _field("ja3s", ValueKind.JA3S, "ssl"),
    _field("ja4", ValueKind.JA4, "ssl"),
    _field("md5", ValueKind.MD5, "files"),
    _field("sha1", ValueKind.SHA1, "files"),
    _field("sha256", ValueKind.SHA256, "files"),
    _field("tx_hosts", ValueKind.IP, "files", many=True),
    _field("rx_hosts", ValueKind.IP, "files", many=True),
    _field("san.dns", ValueKind.DOMAIN, "x509", many=True),
    _field("san.ip", ValueKind.IP, "x509", many=True),
    _field("mailfrom", ValueKind.EMAIL, "smtp"),
    _field("rcptto", ValueKind.EMAIL, "smtp", many=True),
    _field("from", ValueKind.EMAIL, "smtp"),
    _field("to", ValueKind.EMAIL, "smtp", many=True),
)
KNOWN_LOGS: Final = frozenset({"conn", "dns", "http", "ssl", "files", "x509", "smtp"})
# The correlation fields put in ``context`` (ports as numbers).
CONTEXT_KEYS: Final = ("uid", "fuid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p")
_PORTS: Final = frozenset({"id.orig_p", "id.resp_p"})
# The header lines that say how to read the lines after them (``#open``/``#close`` do not).
HEADER_DIRECTIVES: Final = frozenset(
    {"#separator", "#set_separator", "#empty_field", "#unset_field", "#path", "#fields", "#types"}
)
# The logs Zeek's own scripts write (base, policy and the protocol analyzers): a file named
# after one of them holds it.
ZEEK_LOGS: Final = frozenset(
    {
        "analyzer", "broker", "capture_loss", "cluster", "config", "conn", "conn_long",
        "dce_rpc", "dhcp", "dnp3", "dns", "dpd", "files", "ftp", "http", "intel", "irc",
        "kerberos", "known_certs", "known_hosts", "known_modbus", "known_services", "ldap",
        "ldap_search", "loaded_scripts", "modbus", "mqtt_connect", "mqtt_publish",
        "mqtt_subscribe", "mysql", "netcontrol", "netcontrol_drop", "netcontrol_shunt",
        "notice", "notice_alarm", "ntlm", "ntp", "ocsp", "openflow", "packet_filter", "pe",
        "postgresql", "print", "quic", "radius", "rdp", "redis", "reporter", "signatures", "sip",
        "smb_cmd", "smb_files", "smb_mapping", "smtp", "snmp", "socks", "software", "ssh", "ssl",
        "stats", "syslog", "telemetry", "traceroute", "tunnel", "unified2", "websocket",
        "weird", "weird_stats", "x509",
    }
)  # fmt: skip
_FIELD_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_ESCAPE: Final = re.compile(rb"\\(\\|x([0-9A-Fa-f]{2}))")


def fields_for(logs: frozenset[str] | None) -> tuple[ZeekField, ...]:
    """The fields read from records of ``logs`` (all of ``KNOWN_LOGS``' fields when None)."""
    if logs is None:
        return FIELDS
    return tuple(f for f in FIELDS if f.logs is None or f.logs & logs)


def context_keys_for(logs: frozenset[str] | None) -> tuple[str, ...]:
    """The correlation keys records of ``logs`` carry (x509 none, ``fuid`` only files)."""
    if logs is None:
        return CONTEXT_KEYS
    keys: set[str] = set()
    if logs & _CONNECTION_LOGS:
        keys.update(key for key in CONTEXT_KEYS if key != "fuid")
    if "files" in logs:
        keys.add("fuid")
    return tuple(key for key in CONTEXT_KEYS if key in keys)


def logs_in_head(head: bytes, default_log: str | None) -> frozenset[str]:
    """The logs the JSON lines at the start of a file belong to: their ``_path``, else
    ``default_log`` (lines cut off by the head or not JSON objects say nothing)."""
    logs: set[str] = set()
    lines = head.split(b"\n")
    for line in lines[:-1] if not head.endswith(b"\n") else lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        path = record.get("_path")
        if isinstance(path, str):
            logs.add(path)
        elif default_log is not None:
            logs.add(default_log)
    return frozenset(logs)


def log_from_filename(path: str) -> str | None:
    """The Zeek log a file's name says it holds: ``dns`` for ``dns.log``, ``dns.json.gz`` and
    ``dns.00:00:00-01:00:00.log.gz``; None unless the name starts with one of ``ZEEK_LOGS``."""
    stem = PurePath(path).name.split(".", 1)[0]
    return stem if stem in ZEEK_LOGS else None


# --------------------------------------------------------------------------- TSV header


@dataclass(frozen=True, slots=True)
class TsvHeader:
    """What a Zeek TSV header block says; ``end`` is the number of the block's last line."""

    separator: str = "\t"
    set_separator: str = ","
    empty_field: str = "(empty)"
    unset_field: str = "-"
    path: str | None = None
    fields: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    end: int = 0
    problems: tuple[tuple[int, str], ...] = ()

    def directive(self, key: str) -> str | None:
        """The value a header line ``key`` must have to leave this header unchanged."""
        values = {
            "#separator": _escape_text(self.separator),
            "#set_separator": self.set_separator,
            "#empty_field": self.empty_field,
            "#unset_field": self.unset_field,
            "#path": self.path,
            "#fields": self.separator.join(self.fields),
            "#types": self.separator.join(self.types),
        }
        return values.get(key)

    def changed_by(self, line: str) -> bool:
        """Whether the header line ``line`` says something else than this header."""
        if line.startswith("#separator "):
            return _unescape_text(line[len("#separator ") :]) != self.separator
        key, _, value = line.partition(self.separator)
        return key in HEADER_DIRECTIVES and self.directive(key) != value


def parse_tsv_header(
    lines: Sequence[str], first_line: int = 1, base: TsvHeader | None = None
) -> TsvHeader:
    """The header block at the start of ``lines`` (numbered from ``first_line``).

    Lines a block does not repeat keep ``base``'s values. A field name that is not a Zeek
    name (the ``resp_ip_    bytes`` of a damaged header) is reported in ``problems`` and its
    column is never read; so is a ``#types`` line whose length differs from ``#fields``.
    """
    header = base or TsvHeader()
    separator = header.separator
    values: dict[str, str] = {}
    end = first_line - 1
    problems: list[tuple[int, str]] = []
    for line in lines:
        if not line.startswith("#"):
            break
        end += 1
        if line.startswith("#separator "):
            separator = _unescape_text(line[len("#separator ") :])
            continue
        key, _, value = line.partition(separator)
        values[key] = value
        if key == "#fields":
            problems.extend(
                (end, f"#fields: {name!r} is not a Zeek field name; its column is ignored")
                for name in value.split(separator)
                if not _FIELD_NAME.fullmatch(name)
            )
    fields = tuple(values["#fields"].split(separator)) if "#fields" in values else header.fields
    types = tuple(values["#types"].split(separator)) if "#types" in values else header.types
    if types and len(types) != len(fields):
        problems.append((end, f"#types names {len(types)} types for {len(fields)} fields"))
    return TsvHeader(
        separator=separator,
        set_separator=values.get("#set_separator", header.set_separator),
        empty_field=values.get("#empty_field", header.empty_field),
        unset_field=values.get("#unset_field", header.unset_field),
        path=values.get("#path", header.path),
        fields=fields,
        types=types,
        end=end,
        problems=tuple(problems),
    )


def read_tsv_header(
    path: str, *, gzip_stream: bool, start: int = 0, base: TsvHeader | None = None
) -> TsvHeader:
    """The header block that starts after line ``start`` of a Zeek TSV file."""
    lines: list[str] = []
    with open_text(path, gzip_stream=gzip_stream) as handle:
        for number, line in enumerate(handle, start=1):
            if number <= start:
                continue
            text = line.rstrip("\n")
            if not text.startswith("#") or len(lines) >= 64:
                break
            lines.append(text)
    return parse_tsv_header(lines, start + 1, base)


def _unescape_text(text: str) -> str:
    return unescape(text)


def _escape_text(text: str) -> str:
    return "".join(f"\\x{ord(char):02x}" for char in text)


# --------------------------------------------------------------------------- projections


class _Access(Protocol):
    def text(self, key: str) -> str | None: ...

    def texts(self, key: str) -> str | None: ...

    def integer(self, key: str) -> str | None: ...


class _JsonAccess:
    """Zeek JSON keys are flat (``id.orig_h``): every key is one level of the record."""

    def __init__(self, shape: JsonShape) -> None:
        self._shape = shape

    def text(self, key: str) -> str:
        return self._shape.text(key)

    def texts(self, key: str) -> str:
        return self._shape.texts(key)

    def integer(self, key: str) -> str:
        return self._shape.integer(key)


class _TsvAccess:
    """Columns of a TSV line split into the list ``r`` (1-based), by the header's field names."""

    def __init__(self, header: TsvHeader) -> None:
        self._header = header
        self._index: dict[str, int] = {}
        for position, field in enumerate(header.fields, start=1):
            self._index.setdefault(field, position)

    def _raw(self, key: str) -> str | None:
        position = self._index.get(key)
        return None if position is None else f"r[{position}]"

    def text(self, key: str) -> str | None:
        raw = self._raw(key)
        if raw is None:
            return None
        unset, empty = literal(self._header.unset_field), literal(self._header.empty_field)
        # Zeek writes an unset value as #unset_field and an empty string as #empty_field.
        return f"(CASE WHEN {raw} = {unset} THEN NULL WHEN {raw} = {empty} THEN '' ELSE {raw} END)"

    def texts(self, key: str) -> str | None:
        raw = self._raw(key)
        if raw is None:
            return None
        unset, empty = literal(self._header.unset_field), literal(self._header.empty_field)
        split = literal(self._header.set_separator)
        return (
            f"(CASE WHEN {raw} = {unset} THEN NULL WHEN {raw} = {empty} THEN []::VARCHAR[] "
            f"ELSE string_split({raw}, {split}) END)"
        )

    def integer(self, key: str) -> str | None:
        raw = self._raw(key)
        return None if raw is None else f"TRY_CAST({raw} AS BIGINT)"


def _projection(
    access: _Access, wanted: Iterable[ZeekField], log: str, context_keys: Iterable[str]
) -> Projection:
    columns: list[tuple[FieldSpec, str]] = []
    for field in wanted:
        if field.spec.name == "url":
            host, uri = access.text("host"), access.text("uri")
            if host is not None and uri is not None:
                columns.append((field.spec, http_url(host, uri)))
            continue
        sql = access.texts(field.spec.name) if field.spec.many else access.text(field.spec.name)
        if sql is not None:
            columns.append((field.spec, sql))
    context: list[tuple[str, str]] = []
    for key in context_keys:
        sql = access.integer(key) if key in _PORTS else access.text(key)
        if sql is not None:
            context.append((key, sql))
    ts = access.text("ts")
    return Projection(
        ts=epoch_seconds(ts) if ts is not None else "NULL",
        log=log,
        context=context_struct(context),
        columns=tuple(columns),
    )


def json_projection(
    logs: frozenset[str] | None, default_log: str | None
) -> tuple[Projection, JsonShape]:
    """The projection of Zeek JSON records with the fields of ``logs`` (every field if None).

    ``log`` column: ``zeek.`` + the record's ``_path``, else ``default_log`` (the log the
    file's name says), else ``zeek``.
    """
    shape = JsonShape()
    access = _JsonAccess(shape)
    path = shape.text("_path")
    fallback = literal(f"zeek.{default_log}" if default_log else "zeek")
    log = f"coalesce('zeek.' || {path}, {fallback})"
    projection = _projection(access, fields_for(logs), log, context_keys_for(logs))
    return projection, shape


def tsv_projection(header: TsvHeader, default_log: str | None) -> Projection:
    """The projection of the TSV lines under ``header``, split into the list ``r``.

    Fields the header lacks are left out; ``log`` is ``zeek.`` + ``#path``, else the log the
    file's name says, else ``zeek``.
    """
    access = _TsvAccess(header)
    name = header.path or default_log
    log = literal(f"zeek.{name}" if name else "zeek")
    return _projection(access, FIELDS, log, CONTEXT_KEYS)


# --------------------------------------------------------------------------- TSV escapes


def unescape(text: str) -> str:
    """A TSV value with Zeek's escapes undone: ``\\\\`` is a backslash, ``\\xNN`` a byte.

    Bytes that do not form UTF-8 stay written as ``\\xNN`` (Zeek's JSON writer does the same).
    """
    if "\\" not in text:
        return text
    raw = _ESCAPE.sub(
        lambda m: b"\\" if m.group(1) == b"\\" else bytes([int(m.group(2), 16)]),
        text.encode("utf-8", "surrogateescape"),
    )
    return raw.decode("utf-8", "backslashreplace")


def unescape_batch(batch: pa.RecordBatch, names: Iterable[str]) -> pa.RecordBatch:
    """``batch`` with Zeek's escapes undone in the named string and list-of-string columns."""
    for name in names:
        index = batch.schema.get_field_index(name)
        column = batch.column(index)
        fixed = _unescape_array(column)
        if fixed is not column:
            batch = batch.set_column(index, batch.schema.field(index), fixed)
    return batch


def _unescape_array(array: pa.Array) -> pa.Array:
    if pa.types.is_list(array.type):
        list_array: pa.ListArray = array
        values = _unescape_array(list_array.values)
        if values is list_array.values:
            return array
        return pa.ListArray.from_arrays(
            list_array.offsets, values, type=array.type, mask=list_array.is_null()
        )
    if not len(array) or not pc.any(pc.match_substring(array, "\\")).as_py():
        return array
    return pa.array(
        [None if value is None else unescape(value) for value in array.to_pylist()],
        type=array.type,
    )
