"""YARA export: one rule per file hash, with the ``hash`` module.

Each MD5, SHA-1 or SHA-256 item becomes (YARA docs, "Writing YARA rules" and "Hash module")::

    rule entente_<uuid>_<kind>_<hash> : entente
    {
        meta:
            indicator = "indicator--..."
            name = "..."
            score = 80
            tlp = "amber"
        condition:
            hash.md5(0, filesize) == "<lower-case hex>"
    }

The ``hash`` module returns lower-case hex, as the items carry it. A rule name is an identifier
(letters, digits, ``_``; at most 128 characters, YARA's limit) made from the indicator's UUID
(``-`` becomes ``_``), the kind and the hash, so it is stable and unique: an id that is not
``type--uuid`` contributes a hash of itself instead. The meta carries what the rule is for:
indicator id, name, score and TLP. Meta strings use YARA's escapes (``\\"``,
``\\\\``, ``\\xHH`` for control characters and for the UTF-8 bytes of non-ASCII text).

Other kinds are left out as UNSUPPORTED: YARA matches file contents, and the only file fact an
indicator gives here is its hash. Pure: values in, bytes out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from entente.export._ordering import ordered_groups, unsupported
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    Rendered,
)

__all__ = ["MEDIA_TYPE", "render"]

MEDIA_TYPE = "text/x-yara"
_FILENAME = "entente.yar"
_TAG = "entente"
_HASH_LENGTH = {ItemKind.MD5: 32, ItemKind.SHA1: 40, ItemKind.SHA256: 64}
_FUNCTION = {ItemKind.MD5: "md5", ItemKind.SHA1: "sha1", ItemKind.SHA256: "sha256"}
_HEX_RE = re.compile(r"[0-9a-f]+")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TYPE_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # STIX 2.1 §2.9: the object type
# Printable ASCII but the quote and the backslash go as they are; everything else is escaped.
_PLAIN_RE = re.compile(r"[ !#-\[\]-~]*")
_MAX_META = 1000  # characters of a name kept in meta (a label, not a document)


def _string(text: str) -> str:
    """``text`` as a YARA text string literal, quotes included."""
    if _PLAIN_RE.fullmatch(text) is not None:
        return f'"{text}"'
    out: list[str] = []
    for char in text:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "replace"))
    return '"' + "".join(out) + '"'


class _Names:
    """Per indicator, computed once: the part of its rules' names and its id as a literal.

    The name part is the indicator's UUID with ``_`` for ``-`` (``type--uuid`` ids), else
    ``h`` and 24 hex digits of the id's SHA-256; should two ids give one part (one UUID under
    two types), the later id in item order takes the hashed form, so names stay unique.
    """

    def __init__(self) -> None:
        self.known: dict[str, tuple[str, str]] = {}  # indicator id -> (name part, literal)
        self._owners: set[str] = set()

    def add(self, indicator_id: str) -> tuple[str, str]:
        # "type--uuid" (STIX 2.1 §2.9): checked by slicing and two short fixed-form matches.
        uuid, head = indicator_id[-36:], indicator_id[:-38]
        if (
            indicator_id[-38:-36] == "--"
            and _UUID_RE.fullmatch(uuid) is not None
            and _TYPE_RE.fullmatch(head) is not None
            and (part := uuid.replace("-", "_")) not in self._owners
        ):
            literal = f'"{indicator_id}"'  # nothing in it needs escaping
        else:
            digest = hashlib.sha256(indicator_id.encode("utf-8", "replace")).hexdigest()
            part = "h" + digest[:24]
            if part in self._owners:  # 96 bits collided: take 160
                part = "h" + digest[:40]
            literal = _string(indicator_id)
        self._owners.add(part)
        self.known[indicator_id] = entry = (part, literal)
        return entry


def _all_hex(values: list[str], length: int) -> bool:
    """Whether every value is ``length`` lower-case hex digits: one C-level match over all."""
    joined = "\n".join(values) + "\n"
    return re.fullmatch(f"(?:[0-9a-f]{{{length}}}\n)*", joined) is not None


def render(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """Render the file-hash ``items`` as YARA rules; other items are left out, with why."""
    rules: list[str] = []
    left_out: list[LeftOut] = []
    names = _Names()
    known = names.known
    # Names and TLPs repeat across items: their meta lines are built once.
    name_lines: dict[str, str] = {}
    tlp_lines: dict[str, str] = {}
    for kind, op, group in ordered_groups(items):
        length = _HASH_LENGTH.get(kind)
        if length is None or op is not ItemOp.EQUALS:
            why = (
                f"YARA rules match files by hash; {kind} values are not"
                if length is None
                else f"a file hash cannot have op {op}"
            )
            left_out.extend(unsupported(item, why) for item in group)
            continue
        function = _FUNCTION[kind]
        valid = _HEX_RE.fullmatch
        checked = _all_hex([item.value for item in group], length)
        for item in group:
            value = item.value
            if not checked and (len(value) != length or valid(value) is None):
                detail = f"{value!r} is not a lower-case hex {kind.upper()}"
                left_out.append(unsupported(item, detail))
                continue
            part, indicator = known.get(item.indicator_id) or names.add(item.indicator_id)
            name = item.name
            name_line = ""
            if name:
                name_line = name_lines.get(name, "")
                if not name_line:
                    name_lines[name] = name_line = f"        name = {_string(name[:_MAX_META])}\n"
            tlp = item.tlp
            tlp_line = ""
            if tlp:
                tlp_line = tlp_lines.get(tlp, "")
                if not tlp_line:
                    tlp_lines[tlp] = tlp_line = f"        tlp = {_string(tlp)}\n"
            # A name has at most 8 + 41 + 1 + 6 + 1 + 64 = 121 characters (116 with a UUID),
            # under YARA's limit of 128.
            rules.append(
                f"rule entente_{part}_{kind}_{value} : {_TAG}\n{{\n    meta:\n"
                f"        indicator = {indicator}\n{name_line}        score = {item.score}\n"
                f'{tlp_line}    condition:\n        hash.{function}(0, filesize) == "{value}"\n'
                "}\n\n"
            )
    header = (
        f"// Entente YARA rules: one rule per file hash indicator.\n"
        f"// Producer: {_comment(context.producer)}. Generated: {_comment(context.generated_at)}."
        f' Serial: {context.serial}.\n\nimport "hash"\n\n'
    )
    return Rendered(
        body=(header + "".join(rules)).encode("utf-8"),
        media_type=MEDIA_TYPE,
        filename=_FILENAME,
        count=len(rules),
        left_out=tuple(left_out),
    )


def _comment(text: str) -> str:
    """``text`` safe inside a ``//`` comment: one line."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", text).encode("utf-8", "replace").decode()
