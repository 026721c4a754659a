"""STIX 2.1 export: a bundle of indicators rebuilt from the export items, one per indicator.

The export is a derived feed for tools that read STIX (a TIP, a SIEM, another node): each
indicator keeps its id, and its pattern says exactly what the export deploys, which can be
less than the original said (values on a warninglist, below the score, or not deployable are
gone). Per ``indicator_id``, the indicator (STIX 2.1 §4.7) has:

* ``pattern``: one observation per value (sorted, duplicates removed) joined by ``OR``
  (§9.2), each a single comparison in canonical syntax: ``ipv4-addr:value`` or
  ``ipv6-addr:value`` ``=`` an address or ``ISSUBSET`` a CIDR block (§9.5); ``domain-name:value
  =`` a name, or ``LIKE '%.name'`` for its strict subdomains; ``url:value``, ``email-addr:value``
  ``=``; ``file:hashes.MD5``, ``file:hashes.'SHA-1'``, ``file:hashes.'SHA-256'`` ``=``
  (§10.6 hashing-algorithm-ov names); ``x-ja3:value``, ``x-ja3s:value``, ``x-ja4:value`` ``=``
  (Entente's custom SCO types for TLS fingerprints). String literals escape ``\\`` and ``'``
  (§9.4 ``StringLiteral``). ``pattern_type`` is ``stix``.
* ``created``, ``modified`` and ``valid_from``: the items' ``modified`` (the latest, if they
  differ; the export's ``generated_at`` when none has a valid one).
* ``name`` and ``labels`` as the items carry them; ``created_by_ref`` when it is an identity
  id; ``object_marking_refs``: the canonical TLP 2.0 marking-definition of the items' TLP
  (the most restrictive if they differ), whose definition objects the bundle also holds.
* ``x_entente_score`` (a custom property, §11.1): the score the export used. ``confidence``
  is not set: the original's confidence is not known here, and a score is not a confidence.

The bundle (§8) holds the marking-definitions, then the indicators in id order; each
indicator's items are put in a fixed order first, so the same items in any order give the same
bytes, and the bundle's id is a UUIDv5 over the SHA-256 of its objects. It is written one
object per line: diff-friendly, and still one JSON document.

Left out, UNSUPPORTED: items whose kind and op STIX patterns cannot state here (an IP
SUBDOMAIN, a URL IN_NETWORK, ...), a SUBDOMAIN of a name holding ``_`` or ``%`` (LIKE wildcards
with no escape in §9.5, so the pattern would match other names), hashes that are not hex
digests of their length (the pattern would be invalid), and items whose ``indicator_id`` is not
an indicator id. POLICY: items whose TLP label is not a TLP level (fail closed, never
exported unmarked). Pure: values in, bytes out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

import orjson

from entente.errors import InvalidObject
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    LeftOutReason,
    Rendered,
)
from entente.stix import (
    BUILTIN_MARKINGS,
    Tlp,
    deterministic_id,
    is_valid_id,
    marking_id_for,
    parse_timestamp,
    parse_tlp,
)

__all__ = ["MEDIA_TYPE", "SCORE_PROPERTY", "comparison", "render"]

SCORE_PROPERTY = "x_entente_score"
"""The custom property (STIX 2.1 §11.1) that carries the export score of an indicator."""

MEDIA_TYPE = "application/stix+json;version=2.1"  # TAXII 2.1 §1.6.8

# Object path of each kind whose value a single "= literal" comparison states.
_EQUALS_PATHS: Mapping[ItemKind, str] = {
    ItemKind.DOMAIN: "domain-name:value",
    ItemKind.URL: "url:value",
    ItemKind.EMAIL: "email-addr:value",
    ItemKind.MD5: "file:hashes.MD5",
    ItemKind.SHA1: "file:hashes.'SHA-1'",
    ItemKind.SHA256: "file:hashes.'SHA-256'",
    ItemKind.JA3: "x-ja3:value",
    ItemKind.JA3S: "x-ja3s:value",
    ItemKind.JA4: "x-ja4:value",
}
# stix2-patterns rejects a hash literal that is not a digest of its algorithm's length.
_DIGESTS: Mapping[ItemKind, re.Pattern[str]] = {
    ItemKind.MD5: re.compile(r"[0-9a-fA-F]{32}"),
    ItemKind.SHA1: re.compile(r"[0-9a-fA-F]{40}"),
    ItemKind.SHA256: re.compile(r"[0-9a-fA-F]{64}"),
}
_INDICATOR_ID = attrgetter("indicator_id")
# STIX 2.1 §2.9 identifiers of indicators (as entente.stix.is_valid_id reads them, without a
# function call per indicator) and §3.2 timestamps' shape: both go into the JSON unescaped.
_INDICATOR_ID_RE = re.compile(
    r"indicator--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
    r"-[0-9a-fA-F]{12}"
)
_TIMESTAMP = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?Z"
)
_IP_TEXT = re.compile(r"[0-9a-f:.]{2,45}(?:/[0-9]{1,3})?")
_MARKINGS: Mapping[str, Mapping[str, Any]] = {
    str(marking["id"]): marking for marking in BUILTIN_MARKINGS
}


def _literal(value: str) -> str:
    """A STIX pattern string literal (§9.4): quoted, with ``\\`` and ``'`` escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def comparison(item: ExportItem) -> str:
    """The comparison expression that states ``item``; ``ValueError`` (with the reason) when
    STIX patterns cannot state it exactly."""
    kind, op, value = item.kind, item.op, item.value
    if kind == ItemKind.IP:
        # The shape of an address or block (values arrive canonical); enough to keep the
        # literal well-formed, and cheaper than reading the number.
        if op == ItemOp.SUBDOMAIN or _IP_TEXT.fullmatch(value) is None:
            raise ValueError(f"{value!r} as {op} is not an IP address or CIDR block")
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
        # §9.5: ISSUBSET holds when the observed address lies in the block.
        operator = "ISSUBSET" if op == ItemOp.IN_NETWORK else "="
        return f"{path} {operator} {_literal(value)}"
    if kind == ItemKind.DOMAIN and op == ItemOp.SUBDOMAIN:
        if "_" in value or "%" in value:
            raise ValueError(
                f"LIKE '%.{value}' would match other names: '_' and '%' are LIKE wildcards "
                "and STIX patterns have no escape for them"
            )
        return f"domain-name:value LIKE {_literal('%.' + value)}"
    equals_path = _EQUALS_PATHS.get(kind)
    if equals_path is None or op != ItemOp.EQUALS:
        raise ValueError(f"a {kind} value cannot be compared as {op} in a STIX pattern")
    digest = _DIGESTS.get(kind)
    if digest is not None and digest.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a {kind} digest")
    return f"{equals_path} = {_literal(value)}"


class _Known:
    """What one render has already worked out about repeated texts (creators, TLP labels,
    labels)."""

    def __init__(self) -> None:
        self.levels: dict[str, Tlp | None] = {}  # TLP label -> its level, or None
        self.creators: dict[str, bool] = {}  # created_by_ref -> whether an identity id
        self.label_members: dict[tuple[str, ...], str] = {}  # labels -> their JSON member
        self.marking_members: dict[Tlp, str] = {}  # level -> its JSON member

    def is_identity(self, ref: str) -> bool:
        """Whether ``ref`` is an identity id (§2.9), the only thing created_by_ref holds."""
        known = self.creators.get(ref)
        if known is None:
            known = self.creators[ref] = is_valid_id(ref, "identity")
        return known

    def labels(self, labels: tuple[str, ...]) -> str:
        """The ``,"labels":[...]`` member for ``labels`` (empty when there are none)."""
        member = self.label_members.get(labels)
        if member is None:
            strings = ",".join([_json_string(label) for label in labels])
            member = self.label_members[labels] = f',"labels":[{strings}]' if labels else ""
        return member

    def marking(self, level: Tlp | None) -> str:
        """The ``,"object_marking_refs":[...]`` member for ``level`` (empty for none)."""
        if level is None:
            return ""
        member = self.marking_members.get(level)
        if member is None:
            ref = marking_id_for(level)
            member = self.marking_members[level] = f',"object_marking_refs":["{ref}"]'
        return member

    def level(self, label: str) -> Tlp | None:
        """The TLP level a label names, else ``None``."""
        if label not in self.levels:
            try:
                self.levels[label] = parse_tlp(label)
            except ValueError:
                self.levels[label] = None
        return self.levels[label]


def _instant(text: str) -> str:
    """The sortable instant of a STIX timestamp, ``""`` for one that is not valid."""
    try:
        return parse_timestamp(text, "modified").key
    except InvalidObject:
        return ""


def _timestamp(group: Sequence[ExportItem], default: str) -> str:
    """The items' ``modified`` (the latest, if they differ), else ``default``.

    Values come from stored, validated objects; the shape check keeps a broken one from
    reaching the JSON unescaped, and only differing values are read as instants.
    """
    if len(group) == 1:
        text = group[0].modified
        return text if text is not None and _TIMESTAMP.fullmatch(text) else default
    texts = {
        item.modified for item in group if item.modified and _TIMESTAMP.fullmatch(item.modified)
    }
    if not texts:
        return default
    latest = max(texts, key=_instant)
    return latest if _instant(latest) else default


def _tlp_problem(label: str) -> str:
    return f"TLP label {label!r} is not a TLP level; not exported unmarked"


def _level(group: Sequence[ExportItem], known: _Known) -> Tlp | str | None:
    """The most restrictive TLP level of the items, ``None`` when none has a label, or (text)
    why a label is not a level."""
    if len(group) == 1:
        label = group[0].tlp
        if label is None:
            return None
        level = known.level(label)
        return level if level is not None else _tlp_problem(label)
    highest: Tlp | None = None
    for item in group:
        if item.tlp is None:
            continue
        level = known.level(item.tlp)
        if level is None:
            return _tlp_problem(item.tlp)
        if highest is None or level > highest:
            highest = level
    return highest


def _json_string(text: str) -> str:
    """``text`` as a JSON string (RFC 8259 §7): quoted as it is when nothing in it needs an
    escape (the common case, and no buffer allocated), else by orjson."""
    # isprintable() is False for every control character (and for some other characters,
    # which then take the slow path too); three C scans are cheaper than a regex match.
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return orjson.dumps(text).decode("utf-8")


def _indicator(
    group: Sequence[ExportItem],
    comparisons: list[str],
    level: Tlp | None,
    timestamp: str,
    known: _Known,
) -> str:
    """The indicator object (one line of JSON) of one indicator's items.

    Written from a template rather than a dict through orjson: at a million indicators, a
    serialiser's buffer per object costs several times the rest of the work. The indicator
    and identity ids, the timestamp and the marking id have been checked (ids per §2.9, the
    timestamp's §3.2 shape) and need no escape; every other text goes through
    :func:`_json_string`.
    """
    first = group[0]
    if len(group) == 1:  # most indicators have one value: no loops
        creator, name, labels, score = first.created_by_ref, first.name, first.labels, first.score
        pattern = f"[{comparisons[0]}]"
    else:
        creator = next((item.created_by_ref for item in group if item.created_by_ref), None)
        name = next((item.name for item in group if item.name is not None), None)
        labels = tuple(dict.fromkeys([label for item in group for label in item.labels]))
        score = max([item.score for item in group])
        pattern = " OR ".join([f"[{c}]" for c in sorted(set(comparisons))])
    created_by = f',"created_by_ref":"{creator}"' if creator and known.is_identity(creator) else ""
    named = "" if name is None else f',"name":{_json_string(name)}'
    return (
        f'{{"type":"indicator","spec_version":"2.1","id":"{first.indicator_id}"{created_by}'
        f',"created":"{timestamp}","modified":"{timestamp}"{named}'
        f',"pattern":{_json_string(pattern)},"pattern_type":"stix","valid_from":"{timestamp}"'
        f'{known.labels(labels)}{known.marking(level)},"{SCORE_PROPERTY}":{int(score)}}}'
    )


def _order(item: ExportItem) -> tuple[str, ...]:
    return (
        item.kind,
        item.op,
        item.value,
        item.name or "",
        "\x00".join(item.labels),
        f"{item.score:03d}",
        item.tlp or "",
        item.created_by_ref or "",
        item.modified or "",
    )


def _left_out(group: list[ExportItem], reason: LeftOutReason, detail: str) -> list[LeftOut]:
    return [LeftOut(item.indicator_id, reason, detail, item.kind, item.value) for item in group]


def render(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """The STIX 2.1 bundle of ``items``: one indicator per ``indicator_id``, in id order."""
    # Sorting the items (stable: each indicator's items keep their order) groups them without a
    # container per indicator, and each object is written as soon as it is built, so what
    # survives the loop is text, which the garbage collector does not scan.
    ordered = sorted(items, key=_INDICATOR_ID)
    left_out: list[LeftOut] = []
    lines: list[str] = []
    used: set[Tlp] = set()
    known = _Known()
    default_time = context.generated_at
    parse_timestamp(default_time, "generated_at")  # a caller's bug: raises InvalidObject
    count = len(ordered)
    start = 0
    while start < count:
        first = ordered[start]
        indicator_id = first.indicator_id
        stop = start + 1
        if stop < count and ordered[stop].indicator_id == indicator_id:
            while stop < count and ordered[stop].indicator_id == indicator_id:
                stop += 1
            # The items in a fixed order, so that the indicator's name, labels and pattern do
            # not depend on the order they came in.
            run = sorted(ordered[start:stop], key=_order)
        else:
            run = [first]
        start = stop
        group: list[ExportItem] = []
        comparisons: list[str] = []
        for item in run:
            try:
                comparisons.append(comparison(item))
            except ValueError as exc:
                left_out.extend(_left_out([item], LeftOutReason.UNSUPPORTED, str(exc)))
                continue
            group.append(item)
        if not group:
            continue
        if _INDICATOR_ID_RE.fullmatch(indicator_id) is None:
            detail = f"{indicator_id!r} is not an indicator id"
            left_out.extend(_left_out(group, LeftOutReason.UNSUPPORTED, detail))
            continue
        level = _level(group, known)
        if isinstance(level, str):
            left_out.extend(_left_out(group, LeftOutReason.POLICY, level))
            continue
        lines.append(_indicator(group, comparisons, level, _timestamp(group, default_time), known))
        if level is not None:
            used.add(level)

    indicators = len(lines)
    lines[:0] = [orjson.dumps(_MARKINGS[marking_id_for(level)]).decode() for level in sorted(used)]
    digest = hashlib.sha256()
    for line in lines:  # each line is one JSON object, so their concatenation is unambiguous
        digest.update(line.encode("utf-8"))
    bundle_id = deterministic_id("bundle", "entente-export", digest.hexdigest())
    head = f'{{"type":"bundle","id":"{bundle_id}"'
    if lines:
        # One join and one encode of the whole body: at a million objects every extra copy of
        # half a gigabyte shows.
        lines[0] = f'{head},"objects":[\n{lines[0]}'
        lines[-1] = f"{lines[-1]}\n]}}\n"
        body = ",\n".join(lines).encode("utf-8")
    else:
        body = f"{head}}}\n".encode()  # §8: "objects" holds one or more objects, or is absent
    return Rendered(
        body=body,
        media_type=MEDIA_TYPE,
        filename="entente-bundle.json",
        count=indicators,
        left_out=tuple(left_out),
    )
