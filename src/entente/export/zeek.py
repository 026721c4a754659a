"""Zeek Intel framework export: an intel file for ``Intel::read_files``.

The file is what Zeek's Intel framework reads through the input framework's ASCII reader
(Zeek docs, "Intelligence Framework"; ``base/frameworks/intel``):

* comment lines first (the reader skips every line that starts with ``#`` except ``#fields``),
  saying what each entry means; then the header
  ``#fields<TAB>indicator<TAB>indicator_type<TAB>meta.source<TAB>meta.desc``; then one
  tab-separated line per entry;
* ``meta.source`` is the Entente indicator id: Zeek keeps one ``meta`` per source for an
  indicator, so two indicators with the same value stay two entries, and ``intel.log``'s
  ``sources`` field names the indicators a hit came from;
* ``meta.desc`` says what the entry matches, then the indicator's name, score and TLP.

Types (``Intel::Type``):

* an IP address is ``Intel::ADDR``; a CIDR block ``Intel::SUBNET`` (any address inside);
* a domain (EQUALS) is ``Intel::DOMAIN``, which Zeek matches as that exact name only. A
  SUBDOMAIN item ("every strict subdomain of X") cannot be written: ``Intel::DOMAIN`` has no
  wildcard and the subdomains are not a list, so it is left out as UNSUPPORTED;
* a URL is ``Intel::URL`` written as Zeek builds the URLs it sees (``HTTP::build_url``: the
  Host header then the request target): without the scheme and without userinfo, which never
  travels in a request (``http://u@evil.example:8080/a?b`` is ``evil.example:8080/a?b``).
  Only ``http``, ``https`` and ``ftp`` URLs (the schemes Zeek's URL extraction knows);
* an email address is ``Intel::EMAIL``; an MD5, SHA-1 or SHA-256 is ``Intel::FILE_HASH``
  (Zeek computes MD5 and SHA-1 of files by default, SHA-256 with ``hash-all-files``);
* JA3, JA3S and JA4 fingerprints have no Intel type and are left out as UNSUPPORTED.

Fields are escaped as Zeek's ASCII formatter does and its reader undoes (``\\xHH``): the tab
separator, line breaks, other control characters and the backslash itself, and a ``#`` that
would open a line (the reader would skip the line as a comment). Pure: values in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from entente.export._netaddr import ip_text
from entente.export._ordering import ordered_groups, unsupported
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    Rendered,
)

__all__ = ["FIELDS", "MEDIA_TYPE", "render"]

FIELDS = ("indicator", "indicator_type", "meta.source", "meta.desc")
MEDIA_TYPE = "text/plain; charset=utf-8"
_FILENAME = "entente.intel"

# Zeek's ASCII formatter escapes with \xHH and the ASCII reader unescapes \xHH in string
# fields (util::get_unescaped_string): the separator, line breaks and the backslash must go.
_ESCAPE_RE = re.compile(r"[\x00-\x1f\x7f\\]")
# What the fast path must not find in the joined data lines (tabs and line ends are counted).
_UNSAFE_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\\]")
_URL_SCHEMES = ("http://", "https://", "ftp://")

# (kind, op) -> (Intel type, what an entry of it matches, in meta.desc).
_TYPES: dict[tuple[ItemKind, ItemOp], tuple[str, str]] = {
    (ItemKind.IP, ItemOp.EQUALS): ("Intel::ADDR", "this address"),
    (ItemKind.IP, ItemOp.IN_NETWORK): ("Intel::SUBNET", "any address in this block"),
    (ItemKind.DOMAIN, ItemOp.EQUALS): ("Intel::DOMAIN", "this exact name, not its subdomains"),
    (ItemKind.URL, ItemOp.EQUALS): ("Intel::URL", "this URL (scheme and userinfo dropped)"),
    (ItemKind.EMAIL, ItemOp.EQUALS): ("Intel::EMAIL", "this email address"),
    (ItemKind.MD5, ItemOp.EQUALS): ("Intel::FILE_HASH", "a file with this MD5"),
    (ItemKind.SHA1, ItemOp.EQUALS): ("Intel::FILE_HASH", "a file with this SHA-1"),
    (ItemKind.SHA256, ItemOp.EQUALS): ("Intel::FILE_HASH", "a file with this SHA-256"),
}

_HEADER = """\
# Entente Zeek Intel file for the Intel framework (load with redef Intel::read_files).
# Producer: {producer}. Generated: {generated_at}. Serial: {serial}.
# meta.source is the Entente indicator id; meta.desc says what the entry matches.
# Intel::ADDR an exact address; Intel::SUBNET any address in a CIDR block;
# Intel::DOMAIN that exact name only (Zeek does not match subdomains: an indicator for
# "every subdomain of a name" is not in this file); Intel::URL host[:port]/path?query without
# the scheme, as Zeek writes the URLs it sees; Intel::EMAIL an email address;
# Intel::FILE_HASH the MD5, SHA-1 or SHA-256 of a file.
#fields\t{fields}
"""


def _escape(text: str) -> str:
    """``text`` as one field of Zeek's ASCII format: ``\\xHH`` for each byte that would break
    the line or the fields (fast path: most values need nothing)."""
    if _ESCAPE_RE.search(text) is None:
        return text
    return _ESCAPE_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _comment(text: str) -> str:
    """``text`` safe inside a ``#`` comment line."""
    return _ESCAPE_RE.sub(" ", text)


def _url(value: str) -> str | None:
    """A URL as Zeek's ``Intel::URL`` wants it, or ``None`` for a scheme Zeek never sees."""
    for scheme in _URL_SCHEMES:
        if value.startswith(scheme):
            rest = value[len(scheme) :]
            authority_end = len(rest)
            for stop in "/?#":
                at = rest.find(stop)
                if 0 <= at < authority_end:
                    authority_end = at
            authority = rest[:authority_end]
            path = rest[authority_end:].partition("#")[0]  # a fragment never travels
            host = authority.rpartition("@")[2]  # userinfo never travels in a request
            return host + path if host else None
    return None


def _why_not(kind: ItemKind, op: ItemOp, value: str) -> str:
    if kind is ItemKind.DOMAIN and op is ItemOp.SUBDOMAIN:
        return (
            f"Zeek Intel matches exact names; subdomains of {value} cannot be expressed "
            "(Intel::DOMAIN has no wildcard)"
        )
    if kind in (ItemKind.JA3, ItemKind.JA3S, ItemKind.JA4):
        return f"Zeek's Intel framework has no indicator type for {kind.upper()} fingerprints"
    return f"Zeek Intel cannot express {kind} items with op {op}"


def _why_not_value(kind: ItemKind, op: ItemOp, value: str) -> str:
    if kind is ItemKind.URL:
        return "Zeek's Intel::URL holds http, https and ftp URLs only"
    what = "a CIDR block" if op is ItemOp.IN_NETWORK else "an IP address"
    return f"{value!r} is not {what}"


def _line(indicator: str, intel_type: str, item: ExportItem, meaning: str, escape: bool) -> str:
    name = item.name or "unnamed indicator"
    desc = f"{meaning}; {name}; score {item.score}; tlp {item.tlp or 'none'}"
    source = item.indicator_id
    if escape:
        indicator, source, desc = _escape(indicator), _escape(source), _escape(desc)
        if indicator.startswith("#"):  # the reader would take the line for a comment
            indicator = "\\x23" + indicator[1:]
    return f"{indicator}\t{intel_type}\t{source}\t{desc}\n"


def _entries(items: Sequence[ExportItem], escape: bool) -> tuple[list[str], list[LeftOut]]:
    """The data lines for ``items`` and what is left out; ``escape`` escapes every field (the
    fast path leaves it off and :func:`render` checks that nothing needed it)."""
    lines: list[str] = []
    left_out: list[LeftOut] = []
    for kind, op, group in ordered_groups(items):
        spec = _TYPES.get((kind, op))
        if spec is None:
            left_out.extend(unsupported(item, _why_not(kind, op, item.value)) for item in group)
            continue
        intel_type, meaning = spec
        for item in group:
            indicator = item.value
            if kind is ItemKind.IP or kind is ItemKind.URL:
                read = (
                    ip_text(indicator, op is ItemOp.IN_NETWORK)
                    if kind is ItemKind.IP
                    else _url(indicator)
                )
                if read is None:
                    left_out.append(unsupported(item, _why_not_value(kind, op, indicator)))
                    continue
                indicator = read
            lines.append(_line(indicator, intel_type, item, meaning, escape))
    return lines, left_out


def render(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """Render ``items`` as a Zeek Intel file; what it cannot express is left out, with why."""
    header = _HEADER.format(
        producer=_comment(context.producer),
        generated_at=_comment(context.generated_at),
        serial=context.serial,
        fields="\t".join(FIELDS),
    )
    lines, left_out = _entries(items, escape=False)
    data = "".join(lines)
    # Fast path: fields written as they are, then one C-level scan of the whole text proves
    # that no field held a separator, a control character, a backslash or a leading "#".
    if (
        _UNSAFE_RE.search(data) is not None
        or data.count("\t") != 3 * len(lines)
        or data.count("\n") != len(lines)
        or data.startswith("#")
        or "\n#" in data
    ):
        lines, left_out = _entries(items, escape=True)
        data = "".join(lines)
    return Rendered(
        body=(header + data).encode("utf-8", "replace"),
        media_type=MEDIA_TYPE,
        filename=_FILENAME,
        count=len(lines),
        left_out=tuple(left_out),
    )
