"""Which log format a file holds, told from its first bytes (after gzip).

Rules, in order (the first bytes after a UTF-8 byte order mark and leading white space):

* ``PAR1`` (Parquet's magic number) -> ``parquet``;
* ``#separator`` (the first line of every Zeek ASCII log) -> ``zeek-tsv``;
* ``[`` -> a JSON array whose first object has ``event_type`` (``suricata-eve``) or
  ``class_uid`` (``ocsf``);
* ``{`` -> JSON lines whose first object has ``event_type`` (``suricata-eve``), ``class_uid``
  (``ocsf``), or one of ``_path``, ``uid``, ``id.orig_h``, ``ts`` (``zeek-json``); when the
  first lines are damaged, the first line that starts with ``{`` decides;
* a name ending in ``.csv`` (or ``.csv.gz``) -> ``csv`` (it still needs a column mapping).

Gzip is recognised by its magic number whatever the name. Anything else is
``UnsupportedFormat`` with the reason.

``recognise_log`` answers the other question, for ``entente ingest``: is this content a log
at all? It adds what matching cannot read but ingest must still refuse (packet captures, CSV
flow logs known by their header rather than their name) and answers ``None`` for anything else.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from entente.errors import UnsupportedFormat

__all__ = [
    "FORMATS",
    "JSON_FORMATS",
    "Sniffed",
    "detect_format",
    "is_gzip",
    "read_head",
    "recognise_log",
    "sniff",
    "sniff_file",
]

FORMATS: Final = ("zeek-tsv", "zeek-json", "suricata-eve", "ocsf", "parquet", "csv")
JSON_FORMATS: Final = frozenset({"zeek-json", "suricata-eve", "ocsf"})

_GZIP_MAGIC: Final = b"\x1f\x8b"
_PARQUET_MAGIC: Final = b"PAR1"
_BOM: Final = b"\xef\xbb\xbf"
# How much of a file detection reads, and the most it reads to find the end of a first object
# that is larger than that.
_HEAD: Final = 1 << 16
_HEAD_MAX: Final = 1 << 23
_ZEEK_KEYS: Final = ("_path", "uid", "id.orig_h", "ts")
# libpcap (microsecond and nanosecond, both byte orders) and pcapng's Section Header Block type
# (draft-ietf-opsawg-pcap §4, draft-ietf-opsawg-pcapng §4.1).
_PCAP_MAGICS: Final = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)
# Column names of a flow record's two ends, as flow exporters write them: AWS VPC and GCP flow
# logs (srcaddr/dstaddr), nfdump's CSV (sa/da), Zeek conn fields, ECS (source.ip), and the
# usual snake case. A header naming both ends is a flow log; threat feeds name one end at most
# (Feodo Tracker's dst_ip, ThreatFox's ioc_value).
_FLOW_SOURCE_COLUMNS: Final = frozenset(
    {
        "src",
        "src_ip",
        "srcip",
        "src_addr",
        "srcaddr",
        "source_ip",
        "sourceip",
        "source.ip",
        "sa",
        "id.orig_h",
        "client_ip",
        "orig_h",
    }
)
_FLOW_DESTINATION_COLUMNS: Final = frozenset(
    {
        "dst",
        "dst_ip",
        "dstip",
        "dst_addr",
        "dstaddr",
        "dest_ip",
        "destination_ip",
        "destinationip",
        "destination.ip",
        "da",
        "id.resp_h",
        "server_ip",
        "resp_h",
    }
)


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What detection found: the format, whether the file is gzip, and how records are laid out.

    ``layout`` is ``lines`` (Zeek TSV, JSON lines), ``array`` (one JSON array), ``parquet``,
    ``csv`` or ``empty`` (no bytes after decompression).
    """

    format: str
    gzip: bool
    layout: str


def is_gzip(path: str) -> bool:
    """Whether the file starts with the gzip magic number."""
    with Path(path).open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def read_head(path: str, size: int = _HEAD) -> tuple[bytes, bool]:
    """Up to ``size`` bytes of the file's content (decompressed) and whether it is gzip.

    A truncated or corrupt gzip stream gives what could be decompressed.
    """
    compressed = is_gzip(path)
    if not compressed:
        with Path(path).open("rb") as handle:
            return handle.read(size), False
    head = bytearray()
    with gzip.open(path, "rb") as handle:
        try:
            while len(head) < size:
                block = handle.read(size - len(head))
                if not block:
                    break
                head += block
        except (EOFError, OSError, zlib.error):
            pass
    return bytes(head), True


def sniff(head: bytes, filename: str, *, complete: bool = False) -> str | None:
    """The format of content starting with ``head`` (pure); ``complete``: head is the whole file.

    None when the first JSON object does not end within ``head`` (read more); raises
    ``UnsupportedFormat`` with the reason when no rule applies.
    """
    text = head.removeprefix(_BOM).lstrip()
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if text.startswith(b"#separator"):
        return "zeek-tsv"
    if not text.startswith((b"[", b"{")) and b"\n{" in text:
        # JSON lines whose first lines are damaged: the first object line decides.
        text = text[text.index(b"\n{") + 1 :]
    if text.startswith((b"[", b"{")):
        keys = _first_object_keys(text, complete=complete)
        if keys is None:
            return None
        if "event_type" in keys:
            return "suricata-eve"
        if "class_uid" in keys:
            return "ocsf"
        if text.startswith(b"{") and any(key in keys for key in _ZEEK_KEYS):
            return "zeek-json"
        shown = ", ".join(sorted(keys)[:8]) or "none"
        raise UnsupportedFormat(
            f"{filename}: JSON whose first object has neither event_type (Suricata EVE), "
            f"class_uid (OCSF) nor _path/uid/id.orig_h/ts (Zeek); its keys: {shown}"
        )
    if _is_csv_name(filename):
        return "csv"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedFormat(f"{filename}: UTF-16 text; logs must be UTF-8")
    raise UnsupportedFormat(
        f"{filename}: not a recognised log (Zeek TSV or JSON, Suricata EVE, OCSF, Parquet; "
        "CSV needs a .csv name or --log-format csv)"
    )


def recognise_log(head: bytes, filename: str, complete: bool = False) -> str | None:
    """Which kind of log content starting with ``head`` is, or ``None`` when it is no log (pure).

    One of ``FORMATS`` but ``csv``, or ``pcap``, or ``csv-flows`` (a header naming a flow's
    source and destination address); gzip content is looked at decompressed. ``complete``:
    ``head`` is the whole file. A JSON document whose first object is cut off by ``head`` is no
    log here: the log formats are lines or arrays of small objects, whose first one fits.
    """
    if head.startswith(_GZIP_MAGIC):
        head, complete = _gunzip_head(head, complete=complete)
    if head.startswith(_PCAP_MAGICS):
        return "pcap"
    try:
        found = sniff(head, filename, complete=complete)
    except UnsupportedFormat:
        found = None
    if found == "csv":
        found = None  # a .csv name alone: threat feeds are CSV too; the header decides below
    if found is None and _is_flow_header(head):
        return "csv-flows"
    return found


def _gunzip_head(head: bytes, *, complete: bool) -> tuple[bytes, bool]:
    """What the start of a gzip stream decompresses to, and whether that is all of it."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(head, _HEAD)
    except zlib.error:
        return b"", complete
    return out, complete and inflater.eof


def _is_flow_header(head: bytes) -> bool:
    """Whether the first line that is not a comment names both ends of a flow."""
    text = head.removeprefix(_BOM).decode("utf-8", errors="replace")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        separator = "," if "," in stripped else "\t" if "\t" in stripped else None
        names = {cell.strip().strip('"').strip().lower() for cell in stripped.split(separator)}
        return bool(names & _FLOW_SOURCE_COLUMNS) and bool(names & _FLOW_DESTINATION_COLUMNS)
    return False


def sniff_file(path: str, log_format: str | None = None) -> Sniffed:
    """Detect (or take ``log_format`` for) one file, with its compression and layout."""
    size = _HEAD
    while True:
        head, compressed = read_head(path, size)
        complete = len(head) < size
        if not head.strip():
            return Sniffed(log_format or _empty_format(path), compressed, "empty")
        found = log_format or sniff(head, path, complete=complete)
        if found is not None:
            return Sniffed(found, compressed, _layout(found, head))
        if size >= _HEAD_MAX:
            raise UnsupportedFormat(
                f"{path}: its first JSON object does not end in the first "
                f"{_HEAD_MAX // (1 << 20)} MiB"
            )
        size *= 8


def detect_format(path: str) -> str:
    """The format of a log file: ``zeek-tsv``, ``zeek-json``, ``suricata-eve``, ``ocsf``,
    ``parquet`` or ``csv``; ``UnsupportedFormat`` with the reason when it is none of them."""
    sniffed = sniff_file(path)
    if sniffed.layout == "empty":
        raise UnsupportedFormat(f"{path}: empty file")
    return sniffed.format


def _layout(found: str, head: bytes) -> str:
    if found == "parquet":
        return "parquet"
    if found == "csv":
        return "csv"
    if found in JSON_FORMATS and head.removeprefix(_BOM).lstrip().startswith(b"["):
        return "array"
    return "lines"


def _empty_format(path: str) -> str:
    return "csv" if _is_csv_name(path) else "empty"


def _is_csv_name(filename: str) -> bool:
    lowered = filename.lower()
    return lowered.endswith((".csv", ".csv.gz"))


def _first_object_keys(text: bytes, *, complete: bool) -> frozenset[str] | None:
    """The keys of the first JSON object: the first array element, or the first object line.

    None when ``text`` ends before that object does.
    """
    decoder = json.JSONDecoder()
    decoded = text.decode("utf-8", errors="replace")
    if decoded.startswith("["):
        start = decoded.find("{")
        if start < 0:
            return frozenset() if complete else None
        try:
            value, _ = decoder.raw_decode(decoded, start)
        except json.JSONDecodeError:
            return frozenset() if complete else None
        return frozenset(value) if isinstance(value, dict) else frozenset()
    lines = decoded.splitlines()
    # The last line may be cut off by the head: only trust it when the head is the whole file.
    usable = lines if complete or decoded.endswith(("\n", "\r")) else lines[:-1]
    for line in usable:
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return frozenset(value)
    return frozenset() if complete else None
