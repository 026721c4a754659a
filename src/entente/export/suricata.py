"""Suricata export: rules for Suricata 7, one per indicator value, and dataset-based rules with
companion files for large sets.

**Rules** (Suricata docs, "Rules format"): ``action proto src sport dir dst dport (options)``,
options ``msg``, the detection, ``classtype:bad-unknown``, ``priority`` (1 for score >= 80, 2
for >= 50, else 3), ``sid``, ``rev`` and ``metadata`` (``entente_indicator <id>``,
``entente_score``, ``entente_tlp``, ``entente_created_by``). Per item:

* IP address or CIDR block: ``alert ip <addr> any <> $HOME_NET any`` (``<>``: either
  direction, one sid);
* domain, EQUALS (the exact name), three rules: ``dns.query``, ``tls.sni`` (``nocase``) and
  ``http.host`` (lower-case, Suricata forbids ``nocase`` there), each
  ``content:"<name>"; startswith; endswith;`` (the pair makes the buffer equal the name,
  Suricata docs "HTTP keywords", cookbook);
* domain, SUBDOMAIN (strict subdomains): the same three with ``content:".<name>"; endswith;``
  and no ``startswith`` and no ``dotprefix`` (which would also match the name itself);
* URL (``http`` only, the scheme Suricata can read): ``http.host`` equal to the host (or, for
  an IP-literal host, the rule's destination address) and ``http.uri.raw`` equal to the path
  and query; an explicit port becomes the destination port. Userinfo never travels, and is
  ignored. ``https`` and other schemes are left out: Suricata sees no URL inside TLS;
* JA3 / JA3S: ``alert tls`` with ``ja3.hash`` / ``ja3s.hash; content:"<md5>";``;
* MD5, SHA-1, SHA-256: Suricata has no inline file-hash keyword, only ``filemd5``,
  ``filesha1`` and ``filesha256`` reading a list file (one lower-case hex hash per line, Suricata
  docs "File keywords"). So hashes always travel as lists ``entente-md5.lst`` ... with one rule
  per file-carrying protocol (http, smtp, ftp-data, smb, nfs);
* EMAIL and JA4 are left out as UNSUPPORTED: Suricata 7 has no keyword for a mail address, and
  ``ja4.hash`` came to the 7.0 series only in a late 7.0.x backport (2024), so a JA4 rule would
  fail to load on most Suricata 7 sensors.

**Large sets.** When a group has more items than ``dataset_threshold`` (default 1,000), its
per-item rules give way to a few rules over a set (Suricata docs, "Datasets"; ``type string``
files hold one base64 value per line):

* domains EQUALS: dataset ``entente-domain`` (file ``entente-domain.lst``), used by
  ``dns.query; to_lowercase; dataset:isset,entente-domain, type string, load entente-domain.lst;``
  and the same over ``tls.sni`` and ``http.host`` (already lower-case);
* domains SUBDOMAIN, by the number N of labels of the parent name: ``pcrexform`` takes the last
  N labels of a longer name (``\\.([^.]+(?:\\.[^.]+){N-1})$``: only a strict subdomain has a
  dot before them), then dataset ``entente-subdomain-N``;
* JA3 / JA3S: ``ja3.hash`` / ``ja3s.hash`` with dataset ``entente-ja3`` / ``entente-ja3s``;
* IP addresses and blocks: Suricata 7 has no dataset for packet addresses (``ip.src``/``ip.dst``
  buffers arrive in Suricata 8), so the rule header carries address lists
  (``alert ip [a,b,...] any <> $HOME_NET any``), as many rules as the 8 KiB rule limit needs.

:func:`render` gives the rules; :func:`render_datasets` gives the companion files (file name ->
bytes) for the same items and threshold. All files go in one directory, Suricata's
``default-rule-path``: dataset ``load`` names are relative to the rule file and ``filemd5``
lists are read from the rule directory. The domain sets use the ``to_lowercase`` transform,
which Suricata 7 has from 7.0.3 (backported in December 2023); a set of a million names may
need ``datasets.defaults.memcap`` and ``hashsize`` raised in ``suricata.yaml``.

**sids** lie in 1,000,000-1,999,999, the range the community sid allocation
(sidallocation.org) reserves for local use (``sid_base``/``sid_count`` move it, for a site whose
own rules live there), and are stable: a BLAKE2b hash of indicator id,
kind, op, value and protocol (or of the set's name) picks the sid, and a collision takes the
next free one, walking the rules in their (sorted) order. ``rev`` is the indicator version's
``modified`` time in seconds since 1970, so a new version raises it; set rules have rev 1. A
rule longer than Suricata reads (``DETECT_MAX_RULE_SIZE``, 8,192 bytes) is left out. Pure:
values in, bytes out.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from entente.export._netaddr import IPV4_ADDRESS_RE, ip_text
from entente.export._ordering import epoch_seconds, ordered_groups, unsupported
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    Rendered,
)

__all__ = [
    "DEFAULT_DATASET_THRESHOLD",
    "FILE_PROTOCOLS",
    "MAX_RULE_LENGTH",
    "MEDIA_TYPE",
    "SID_BASE",
    "SID_COUNT",
    "render",
    "render_datasets",
]

DEFAULT_DATASET_THRESHOLD = 1000
SID_BASE = 1_000_000
SID_COUNT = 1_000_000
# Suricata reads a rule line into a buffer of DETECT_MAX_RULE_SIZE (8192) bytes (src/detect.h);
# keep a margin for the line end.
MAX_RULE_LENGTH = 8000
MEDIA_TYPE = "text/plain; charset=utf-8"
FILE_PROTOCOLS = ("http", "smtp", "ftp-data", "smb", "nfs")
_FILENAME = "entente.rules"
_CLASSTYPE = "bad-unknown"  # classification.config: "Potentially Bad Traffic"
_IP_LIST_BUDGET = 7000  # characters of one rule's address list, under MAX_RULE_LENGTH
_ACTIONS = frozenset({"alert", "drop"})

# Content bytes written as they are; every other byte goes as |HH| (Suricata docs, "Payload
# keywords": '"', ';', ':' and '|' must be hex, and '\\' escapes).
_CONTENT_PLAIN_RE = re.compile(r"[A-Za-z0-9._/~=&%?@+!*'()\[\]{}$<>^#,-]*")
_CONTENT_PLAIN = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/~=&%?@+!*'()[]{}$<>^#,-"
)
_MSG_PLAIN_RE = re.compile(r"[ !#-:<-\[\]-~]*")  # printable ASCII but '"', ';' and '\\'
_META_PLAIN_RE = re.compile(r"[A-Za-z0-9_.+-]+")
_META_OTHER_RE = re.compile(r"[^A-Za-z0-9_.+-]")
_HEX = {
    ItemKind.MD5: 32,
    ItemKind.SHA1: 40,
    ItemKind.SHA256: 64,
    ItemKind.JA3: 32,
    ItemKind.JA3S: 32,
}
_HEX_RE = re.compile(r"[0-9a-f]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# RFC 3986 §3: "http://" [userinfo "@"] host [":" port] path-abempty ["?" query] ["#" fragment];
# the authority ends at the first "/", "?" or "#", userinfo at its last "@".
_HTTP_URL_RE = re.compile(
    r"http://(?:[^/?#]*@)?(\[[^\]/?#@]*\]|[^:/?#@\[\]]*)(?::([^/?#]*))?([/?][^#]*)?(?:#.*)?",
    re.DOTALL,
)
_EXPRESSIBLE = frozenset(
    {
        (ItemKind.IP, ItemOp.EQUALS),
        (ItemKind.IP, ItemOp.IN_NETWORK),
        (ItemKind.DOMAIN, ItemOp.EQUALS),
        (ItemKind.DOMAIN, ItemOp.SUBDOMAIN),
        *((kind, ItemOp.EQUALS) for kind in (ItemKind.URL, *_HEX)),
    }
)
_UNSUPPORTED_KIND = {
    ItemKind.EMAIL: "Suricata 7 has no rule keyword for an email address",
    ItemKind.JA4: (
        "ja4.hash is missing from most Suricata 7 releases (a late 7.0.x backport); a JA4 rule "
        "would fail to load, so JA4 fingerprints are not exported to Suricata"
    ),
}

# (what the rule sees, header after the action, sticky buffer and its modifiers)
_DOMAIN_VARIANTS = (
    ("dns", "DNS query", "dns any any -> any any", "dns.query", "nocase; "),
    ("tls", "TLS SNI", "tls any any -> any any", "tls.sni", "nocase; "),
    ("http", "HTTP Host", "http any any -> any any", "http.host", ""),
)


@dataclass(slots=True)
class _Plan:
    """What one export writes: set rules, per-item rules (with their item), companion files."""

    # (key, header, msg, detection, priority): one rule over a set; rev 1
    set_rules: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    # (item, its rules as (key, header, msg, detection)); priority, rev, metadata from the item
    item_rules: list[tuple[ExportItem, list[tuple[str, str, str, str]]]] = field(
        default_factory=list
    )
    files: dict[str, bytes] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)
    set_items: int = 0


def _content(text: str) -> str:
    """``text`` as the inside of a Suricata ``content:"..."`` string: plain bytes as they are,
    the rest as ``|HH HH|`` (UTF-8)."""
    if _CONTENT_PLAIN_RE.fullmatch(text) is not None:
        return text
    out: list[str] = []
    pending: list[str] = []
    for char in text:
        if char in _CONTENT_PLAIN:
            if pending:
                out.append("|" + " ".join(pending) + "|")
                pending = []
            out.append(char)
        else:
            pending.extend(f"{byte:02X}" for byte in char.encode("utf-8", "replace"))
    if pending:
        out.append("|" + " ".join(pending) + "|")
    return "".join(out)


def _msg(text: str) -> str:
    """``text`` for ``msg:"..."``: '"', ';' and '\\' escaped with '\\' (Suricata docs, "Meta
    keywords"), anything but printable ASCII as '?'."""
    if _MSG_PLAIN_RE.fullmatch(text) is not None:
        return text
    out: list[str] = []
    for char in text:
        if char in '";\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append("?")
    return "".join(out)


def _meta(text: str) -> str:
    """``text`` as a metadata value: no ',', ';', space or other character Suricata's
    ``metadata`` parser splits on."""
    if _META_PLAIN_RE.fullmatch(text) is not None:
        return text
    return _META_OTHER_RE.sub("_", text) or "_"


def _priority(score: int) -> int:
    return 1 if score >= 80 else 2 if score >= 50 else 3


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Revs:
    """``rev`` per indicator version, parsed once per distinct ``modified``."""

    def __init__(self) -> None:
        self._cache: dict[str | None, int] = {}

    def __call__(self, modified: str | None) -> int:
        rev = self._cache.get(modified)
        if rev is None:
            seconds = epoch_seconds(modified) if modified else None
            rev = 1 if seconds is None else min(max(seconds, 1), 2**32 - 1)
            self._cache[modified] = rev
        return rev


def _label(item: ExportItem) -> str:
    """Who a rule is for, in its ``msg``: the indicator's name, else its id."""
    return _short(item.name, 120) if item.name else item.indicator_id


class _Metadata:
    """``metadata`` of an item's rules, built once per indicator (ids, TLP and creator repeat
    across items; each distinct text is checked once)."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, int, str | None, str | None], str] = {}
        self._texts: dict[str, str] = {}

    def _text(self, text: str) -> str:
        safe = self._texts.get(text)
        if safe is None:
            self._texts[text] = safe = _meta(text)
        return safe

    def __call__(self, item: ExportItem) -> str:
        key = (item.indicator_id, item.score, item.tlp, item.created_by_ref)
        built = self._built.get(key)
        if built is None:
            meta = f"entente_indicator {_meta(item.indicator_id)}, entente_score {item.score}"
            if item.tlp:
                meta += f", entente_tlp {self._text(item.tlp)}"
            if item.created_by_ref:
                meta += f", entente_created_by {self._text(item.created_by_ref)}"
            self._built[key] = built = meta
        return built


def _key(item: ExportItem, protocol: str) -> str:
    """What an item rule's sid is derived from."""
    return f"{item.indicator_id}\x00{item.kind}\x00{item.op}\x00{item.value}\x00{protocol}"


def _url_parts(value: str) -> tuple[str, str, str, str] | None:
    """``(destination, port, host, path)`` of an ``http`` URL for a rule, ``None`` for other
    schemes or a URL a rule cannot carry: ``host`` is empty when the destination address stands
    for it (an IP-literal host). Userinfo and fragment never travel in a request: dropped."""
    m = _HTTP_URL_RE.fullmatch(value)
    if m is None:
        return None
    host, port, path = m.group(1), m.group(2) or "", m.group(3) or "/"
    if not host or (port and not (port.isdigit() and 0 < int(port) <= 65535)):
        return None
    if path[0] != "/":
        path = "/" + path  # "http://host?query": RFC 3986 §6.2.3, an empty path is "/"
    port = port or "any"
    if host[0] == "[":  # RFC 3986 §3.2.2 IP-literal
        address = ip_text(host[1:-1], network=False)
        return None if address is None else (address, port, "", path)
    if IPV4_ADDRESS_RE.fullmatch(host) is not None:
        return host, port, "", path
    return "any", port, host.lower(), path


def _plan(items: Sequence[ExportItem], threshold: int) -> _Plan:
    """Sort ``items`` into rules and companion files."""
    plan = _Plan()
    groups: dict[tuple[ItemKind, ItemOp], list[ExportItem]] = {}
    for kind, op, group in ordered_groups(items):
        if kind in _UNSUPPORTED_KIND:
            why = _UNSUPPORTED_KIND[kind]
        elif (kind, op) in _EXPRESSIBLE:
            groups[kind, op] = group
            continue
        else:
            why = f"Suricata rules cannot express {kind} items with op {op}"
        plan.left_out.extend(unsupported(item, why) for item in group)
    _plan_ip(
        plan,
        groups.get((ItemKind.IP, ItemOp.EQUALS), []),
        groups.get((ItemKind.IP, ItemOp.IN_NETWORK), []),
        threshold,
    )
    _plan_domains(plan, groups.get((ItemKind.DOMAIN, ItemOp.EQUALS), []), False, threshold)
    _plan_domains(plan, groups.get((ItemKind.DOMAIN, ItemOp.SUBDOMAIN), []), True, threshold)
    _plan_urls(plan, groups.get((ItemKind.URL, ItemOp.EQUALS), []))
    for kind in (ItemKind.MD5, ItemKind.SHA1, ItemKind.SHA256):
        _plan_hashes(plan, kind, groups.get((kind, ItemOp.EQUALS), []))
    for kind, buffer in ((ItemKind.JA3, "ja3.hash"), (ItemKind.JA3S, "ja3s.hash")):
        _plan_fingerprints(plan, kind, buffer, groups.get((kind, ItemOp.EQUALS), []), threshold)
    return plan


def _valid_hex(plan: _Plan, kind: ItemKind, items: list[ExportItem]) -> list[ExportItem]:
    valid = []
    length = _HEX[kind]
    for item in items:
        if len(item.value) == length and _HEX_RE.fullmatch(item.value) is not None:
            valid.append(item)
        else:
            detail = f"{item.value!r} is not a lower-case hex {kind.upper()}"
            plan.left_out.append(unsupported(item, detail))
    return valid


def _dataset(name: str) -> str:
    return f"dataset:isset,{name}, type string, load {name}.lst; "


def _string_file(plan: _Plan, name: str, values: list[str]) -> None:
    """A ``type string`` dataset file: base64 of each value, one per line (Suricata docs,
    "Datasets", file formats). ``values`` come sorted, so duplicates are neighbours."""
    encode = binascii.b2a_base64
    lines = [encode(value.encode("utf-8", "replace")) for value in dict.fromkeys(values)]
    plan.files[f"{name}.lst"] = b"".join(lines)  # b2a_base64 ends each line with "\n"


def _plan_ip(
    plan: _Plan, addresses: list[ExportItem], blocks: list[ExportItem], threshold: int
) -> None:
    valid: list[tuple[str, ExportItem]] = []
    ipv4 = IPV4_ADDRESS_RE.fullmatch
    for network, items in ((False, addresses), (True, blocks)):
        for item in items:
            text = item.value if not network and ipv4(item.value) else ip_text(item.value, network)
            if text is None:
                what = "a CIDR block" if network else "an IP address"
                plan.left_out.append(unsupported(item, f"{item.value!r} is not {what}"))
            else:
                valid.append((text, item))
    if len(valid) <= threshold:
        for text, item in valid:
            rule = (
                _key(item, "ip"),
                f"ip {text} any <> $HOME_NET any",
                f"ENTENTE IP traffic with {text} ({_label(item)})",
                "",
            )
            plan.item_rules.append((item, [rule]))
        return
    chunks: list[list[str]] = [[]]
    used = 0
    for address in dict.fromkeys(text for text, _ in valid):
        if used + len(address) + 1 > _IP_LIST_BUDGET and chunks[-1]:
            chunks.append([])
            used = 0
        chunks[-1].append(address)
        used += len(address) + 1
    top = _priority(max(item.score for _, item in valid))
    for number, chunk in enumerate(chunks, 1):
        plan.set_rules.append(
            (
                f"set\x00ip\x00{number}",
                f"ip [{','.join(chunk)}] any <> $HOME_NET any",
                f"ENTENTE IP traffic with a listed address (list {number} of {len(chunks)})",
                "",
                top,
            )
        )
    plan.set_items += len(valid)


def _subdomain_regex(labels: int) -> str:
    """A ``pcrexform`` regex capturing the last ``labels`` labels of a name that has more."""
    if labels == 1:
        return r"\.([^.]+)$"
    return r"\.([^.]+(?:\.[^.]+){" + str(labels - 1) + r"})$"


def _plan_domains(plan: _Plan, items: list[ExportItem], subdomains: bool, threshold: int) -> None:
    if len(items) <= threshold:
        for item in items:
            name = item.value
            what = f"a subdomain of {name}" if subdomains else name
            msg_tail = f"{_short(what, 200)} ({_label(item)})"
            rules = []
            for protocol, seen, header, buffer, nocase in _DOMAIN_VARIANTS:
                text = _content(name.lower() if buffer == "http.host" else name)
                if subdomains:
                    detection = f'{buffer}; content:".{text}"; {nocase}endswith; '
                else:
                    detection = f'{buffer}; content:"{text}"; {nocase}startswith; endswith; '
                rules.append(
                    (_key(item, protocol), header, f"ENTENTE {seen} for {msg_tail}", detection)
                )
            plan.item_rules.append((item, rules))
        return
    top = _priority(max(item.score for item in items))
    by_labels: dict[int, list[str]] = {}
    for item in items:
        labels = item.value.count(".") + 1 if subdomains else 0
        by_labels.setdefault(labels, []).append(item.value.lower())
    for labels in sorted(by_labels):
        name = f"entente-subdomain-{labels}" if subdomains else "entente-domain"
        _string_file(plan, name, by_labels[labels])
        pick = f'pcrexform:"{_subdomain_regex(labels)}"; ' if subdomains else ""
        what = "a subdomain of a listed name" if subdomains else "a listed name"
        for protocol, seen, header, buffer, _ in _DOMAIN_VARIANTS:
            lower = "" if buffer == "http.host" else "to_lowercase; "  # http.host is lower-case
            plan.set_rules.append(
                (
                    f"set\x00{name}\x00{protocol}",
                    header,
                    f"ENTENTE {seen} for {what} (set {name})",
                    f"{buffer}; {lower}{pick}{_dataset(name)}",
                    top,
                )
            )
    plan.set_items += len(items)


def _plan_urls(plan: _Plan, items: list[ExportItem]) -> None:
    for item in items:
        parts = _url_parts(item.value)
        if parts is None:
            plan.left_out.append(
                unsupported(
                    item,
                    "Suricata sees URLs in clear-text HTTP only; an https or other-scheme URL "
                    "cannot be matched (its host can be exported as a domain indicator)",
                )
            )
            continue
        destination, port, host, path = parts
        detection = f'http.host; content:"{_content(host)}"; startswith; endswith; ' if host else ""
        detection += f'http.uri.raw; content:"{_content(path)}"; startswith; endswith; '
        rule = (
            _key(item, "http"),
            f"http any any -> {destination} {port}",
            f"ENTENTE HTTP request for {_short(item.value, 200)} ({_label(item)})",
            detection,
        )
        plan.item_rules.append((item, [rule]))


def _plan_hashes(plan: _Plan, kind: ItemKind, items: list[ExportItem]) -> None:
    valid = _valid_hex(plan, kind, items)
    if not valid:
        return
    name = f"entente-{kind}"
    plan.files[f"{name}.lst"] = "".join(
        f"{v}\n" for v in dict.fromkeys(i.value for i in valid)
    ).encode()
    top = _priority(max(item.score for item in valid))
    for protocol in FILE_PROTOCOLS:
        plan.set_rules.append(
            (
                f"set\x00{name}\x00{protocol}",
                f"{protocol} any any -> any any",
                f"ENTENTE file with a listed {kind.upper()} over {protocol} (list {name}.lst)",
                f"file{kind}:{name}.lst; ",
                top,
            )
        )
    plan.set_items += len(valid)


def _plan_fingerprints(
    plan: _Plan, kind: ItemKind, buffer: str, items: list[ExportItem], threshold: int
) -> None:
    valid = _valid_hex(plan, kind, items)
    if len(valid) <= threshold:
        for item in valid:
            rule = (
                _key(item, "tls"),
                "tls any any -> any any",
                f"ENTENTE TLS {kind.upper()} {item.value} ({_label(item)})",
                f'{buffer}; content:"{item.value}"; ',
            )
            plan.item_rules.append((item, [rule]))
        return
    name = f"entente-{kind}"
    _string_file(plan, name, [item.value for item in valid])
    plan.set_rules.append(
        (
            f"set\x00{name}\x00tls",
            "tls any any -> any any",
            f"ENTENTE TLS {kind.upper()} fingerprint in set {name}",
            f"{buffer}; {_dataset(name)}",
            _priority(max(item.score for item in valid)),
        )
    )
    plan.set_items += len(valid)


class _Sids:
    """Stable, unique sids: a hash of the rule's key picks a slot in the range; a taken slot
    gives the next free one after it, wrapping (linear probing, rules taken in their order).

    "Next free slot" is a union-find over taken slots with path compression, so even a range
    filled to the last sid costs near-constant time per rule (plain probing would crawl).
    """

    def __init__(self, base: int, count: int) -> None:
        self._base = base
        self._count = count
        self._next: dict[int, int] = {}  # taken slot -> a slot at or before the next free one
        self.free = count

    def _find(self, slot: int) -> int:
        nxt = self._next
        root = slot
        while root in nxt:
            root = nxt[root]
        while slot != root:  # path compression
            nxt[slot], slot = root, nxt[slot]
        return root

    def __call__(self, key: str) -> int:
        digest = hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=8).digest()
        slot = int.from_bytes(digest, "big") % self._count
        if slot in self._next:
            slot = self._find(slot)
            if slot == self._count:  # past the end: wrap around
                slot = self._find(0)
        self._next[slot] = slot + 1
        self.free -= 1
        return self._base + slot


def _rule(action: str, header: str, msg: str, detection: str, tail: str) -> str:
    return f'{action} {header} (msg:"{_msg(msg)}"; {detection}classtype:{_CLASSTYPE}; {tail})\n'


def render(
    items: Sequence[ExportItem],
    context: ExportContext,
    *,
    dataset_threshold: int = DEFAULT_DATASET_THRESHOLD,
    action: Literal["alert", "drop"] = "alert",
    sid_base: int = SID_BASE,
    sid_count: int = SID_COUNT,
) -> Rendered:
    """Render ``items`` as Suricata 7 rules; what they cannot express is left out, with why.

    Groups over ``dataset_threshold`` items become set rules whose files
    :func:`render_datasets` gives. ``action`` is ``alert`` (IDS) or ``drop`` (IPS, for
    prevention at the edge). sids are drawn from ``sid_base`` .. ``sid_base + sid_count - 1``.
    """
    if action not in _ACTIONS:
        raise ValueError(f"action must be one of {sorted(_ACTIONS)}, not {action!r}")
    if sid_count < 1 or sid_base < 1 or sid_base + sid_count - 1 > 2**32 - 1:
        raise ValueError("the sid range must lie within 1 .. 2**32 - 1")
    last_sid = sid_base + sid_count - 1
    plan = _plan(items, dataset_threshold)
    if len(plan.set_rules) > sid_count:
        raise ValueError(f"{len(plan.set_rules)} set rules do not fit {sid_count} sids")
    sids = _Sids(sid_base, sid_count)
    left_out = plan.left_out
    lines: list[str] = [
        "# Entente Suricata rules for Suricata 7.\n",
        f"# Producer: {_comment(context.producer)}. Generated: {_comment(context.generated_at)}. "
        f"Serial: {context.serial}.\n",
        f"# sid {sid_base}-{last_sid}: a hash of indicator id, kind, op, value and protocol "
        "(a collision takes the next free sid); rev: the indicator version's modified time in "
        "seconds since 1970.\n",
    ]
    if plan.files:
        lines.append(
            "# Companion files, to put in the same directory (Suricata's default-rule-path): "
            + ", ".join(sorted(plan.files))
            + ".\n"
        )
    for key, header, msg, detection, priority in plan.set_rules:
        tail = f"priority:{priority}; sid:{sids(key)}; rev:1; metadata:entente_set yes;"
        lines.append(_rule(action, header, msg, detection, tail))
    sid_width = len(str(last_sid))
    revs = _Revs()
    metadata = _Metadata()
    expressed = 0
    for item, rules in plan.item_rules:
        tail = f"; rev:{revs(item.modified)}; metadata:{metadata(item)};)\n"
        head_end = f"classtype:{_CLASSTYPE}; priority:{_priority(item.score)}; sid:"
        heads = [
            f'{action} {header} (msg:"{_msg(msg)}"; {detection}{head_end}'
            for _, header, msg, detection in rules
        ]
        # Measured before the rule takes a sid: the sid's digits are at most sid_width.
        if max(map(len, heads)) + sid_width + len(tail) > MAX_RULE_LENGTH:
            detail = f"its rule would exceed Suricata's {MAX_RULE_LENGTH}-byte rule limit"
            left_out.append(unsupported(item, detail))
            continue
        if sids.free < len(rules):
            left_out.append(unsupported(item, f"no free sid left in {sid_base}-{last_sid}"))
            continue
        for (key, _, _, _), head in zip(rules, heads, strict=True):
            lines.append(f"{head}{sids(key)}{tail}")
        expressed += 1
    return Rendered(
        body="".join(lines).encode("utf-8"),
        media_type=MEDIA_TYPE,
        filename=_FILENAME,
        count=expressed + plan.set_items,
        left_out=tuple(left_out),
    )


def render_datasets(
    items: Sequence[ExportItem],
    context: ExportContext,
    *,
    dataset_threshold: int = DEFAULT_DATASET_THRESHOLD,
) -> dict[str, bytes]:
    """The companion files of :func:`render`'s rules for the same ``items`` and threshold:
    file name -> contents (dataset files and file-hash lists), to write beside the rules."""
    return dict(sorted(_plan(items, dataset_threshold).files.items()))


def _comment(text: str) -> str:
    """``text`` safe inside a ``#`` comment line."""
    return _CONTROL_RE.sub(" ", text).encode("utf-8", "replace").decode("utf-8")
