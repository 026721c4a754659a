"""MISP attribute and object values as STIX 2.1 pattern comparisons (§9) and SCOs (§6)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from entente.stix.identifiers import sco_id

__all__ = [
    "Comparison",
    "UnconvertibleError",
    "attribute_comparisons",
    "attribute_observables",
    "object_comparisons",
    "object_observables",
    "object_standalone",
    "render_alternatives",
    "render_pattern",
    "standalone_comparisons",
]


class UnconvertibleError(ValueError):
    """A MISP value that has no STIX 2.1 form here; the message says why."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """One ``type:path = literal`` comparison expression (STIX 2.1 §9.5)."""

    object_type: str
    path: str
    value: str | int | float

    def render(self) -> str:
        """The comparison as pattern text, with the literal escaped per §9.4."""
        return f"{self.object_type}:{self.path} = {_literal(self.value)}"


def _literal(value: str | int | float) -> str:
    # §9.4: string literals are single-quoted; only ' and \ are escaped, with a backslash.
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def render_pattern(comparisons: Sequence[Comparison]) -> str:
    """AND the comparisons: one observation expression per SCO type (§9.5), joined by AND."""
    groups: dict[str, list[str]] = {}
    for c in comparisons:
        rendered = c.render()
        group = groups.setdefault(c.object_type, [])
        if rendered not in group:
            group.append(rendered)
    return " AND ".join("[" + " AND ".join(group) + "]" for group in groups.values())


def render_alternatives(comparisons: Sequence[Comparison]) -> str:
    """OR the comparisons, each its own observation expression (§9.5), deduplicated in order.

    For values that each identify the thing on their own (a domain and its address): the
    matcher and exporters deploy an OR of single-value observations, never an AND."""
    rendered = dict.fromkeys(f"[{c.render()}]" for c in comparisons)
    return " OR ".join(rendered)


# --- value checks -------------------------------------------------------------------------

# MISP hash attribute types -> STIX hashing-algorithm-ov keys (§10.3) and hex lengths
# (None: free-form, e.g. fuzzy hashes).
HASH_TYPES: Mapping[str, tuple[str, int | None]] = MappingProxyType(
    {
        "md5": ("MD5", 32),
        "sha1": ("SHA-1", 40),
        "sha256": ("SHA-256", 64),
        "sha512": ("SHA-512", 128),
        "sha3-256": ("SHA3-256", 64),
        "sha3-512": ("SHA3-512", 128),
        "ssdeep": ("SSDEEP", None),
        "tlsh": ("TLSH", None),
    }
)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")
_ASN = re.compile(r"^(?:AS)?\s*([0-9]{1,10})$", re.IGNORECASE)


def _text(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise UnconvertibleError(f"empty {what}")
    return text


def _hash_value(misp_type: str, value: str) -> tuple[str, str]:
    key, length = HASH_TYPES[misp_type]
    text = _text(value, f"{misp_type} value")
    if length is not None:
        if len(text) != length or _HEX.match(text) is None:
            raise UnconvertibleError(f"{text!r} is not a {length}-hex-digit {misp_type} hash")
        text = text.lower()
    return key, text


def _hash_path(key: str) -> str:
    # §9.5 object paths: a dictionary key with '-' must be quoted.
    return f"hashes.{key}" if _SIMPLE_KEY.match(key) else f"hashes.'{key}'"


def _ip(value: str) -> tuple[str, str]:
    """(``ipv4-addr`` or ``ipv6-addr``, value); CIDR blocks are allowed (§6.13, §6.14)."""
    text = _text(value, "IP address")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise UnconvertibleError(f"{text!r} is not an IP address or CIDR block") from None
    kind = "ipv4-addr" if network.version == 4 else "ipv6-addr"
    if "/" not in text:
        text = str(ipaddress.ip_address(text))
    return kind, text


def _port(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise UnconvertibleError(f"{value!r} is not a port number (0-65535)")
    return int(text)


def _asn(value: str) -> int:
    m = _ASN.match(value.strip())
    if m is None:
        raise UnconvertibleError(f"{value!r} is not an autonomous system number")
    return int(m.group(1))


def _mac(value: str) -> str:
    # §6.12: mac-addr values are lowercase, colon-delimited.
    text = value.strip().lower()
    if _MAC.match(text) is None:
        raise UnconvertibleError(f"{value!r} is not a MAC-48 address")
    return text.replace("-", ":")


def _email(value: str) -> str:
    text = _text(value, "email address")
    if "@" not in text:
        raise UnconvertibleError(f"{text!r} is not an email address")
    return text


def _split(value: str, misp_type: str, *, last: bool = False) -> tuple[str, str]:
    # MISP composite types join their two values with '|' (MISP core format §2.3).
    if "|" not in value:
        raise UnconvertibleError(f"{misp_type} value {value!r} lacks the '|' separator")
    left, _, right = value.rpartition("|") if last else value.partition("|")
    return left, right


# --- comparisons (to_ids attributes -> indicator patterns) -----------------------------------

# MISP types whose value is one string property of one SCO type.
SIMPLE_PATHS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "domain": ("domain-name", "value"),
        "hostname": ("domain-name", "value"),
        "url": ("url", "value"),
        "uri": ("url", "value"),
        "link": ("url", "value"),
        "filename": ("file", "name"),
        "attachment": ("file", "name"),
        "mutex": ("mutex", "name"),
        "regkey": ("windows-registry-key", "key"),
        "email-subject": ("email-message", "subject"),
        "email-message-id": ("email-message", "message_id"),
        "email-attachment": ("email-message", "body_multipart[*].body_raw_ref.name"),
        "user-agent": (
            "network-traffic",
            "extensions.'http-request-ext'.request_header.'User-Agent'",
        ),
        "imphash": ("file", "extensions.'windows-pebinary-ext'.imphash"),
    }
)

# MISP types that STIX 2.1 has no standard property for (reported as not convertible).
UNMAPPED_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "hassh-md5": "STIX 2.1 defines no property for HASSH fingerprints",
        "hasshserver-md5": "STIX 2.1 defines no property for HASSH fingerprints",
    }
)
# MISP types with no STIX 2.1 SCO or standard property, carried as a pattern on a custom
# object type (§11.1) or a custom property (§11.2), both deprecated but valid in 2.1:
# * ``btc``: STIX 2.1 has no cryptocurrency SCO (the OASIS cryptocurrency-wallet SCO is an
#   extension definition outside the spec); ``x-crypto-wallet:value`` follows Entente's
#   ``x-ja3:value`` custom types.
# * ``pehash``: not in hashing-algorithm-ov (§10.6); a custom hash name starts ``x_`` (§2.7).
# * ``pdb``: the debug path a PE names, not the file's own name or path (§6.7 has none).
# * ``ja3-fingerprint-md5``/``ja3s-...``: Entente's JA3/JA3S custom SCO types, which the
#   matcher and the exporters deploy.
# Not to_ids, they have no SCO that validates (entente.stix and the stix2 library refuse
# custom SCO types and hash names), so they become a note on the event (misp.py).
CUSTOM_TYPES = frozenset({"btc", "pehash", "pdb", "ja3-fingerprint-md5", "ja3s-fingerprint-md5"})
# Bitcoin addresses: base58 P2PKH/P2SH (BIP 13) or bech32/bech32m segwit (BIP 173, BIP 350).
_BTC = re.compile(
    r"^(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87})$"
)


def attribute_comparisons(misp_type: str, value: str) -> list[Comparison]:
    """The comparisons that match a to_ids attribute; raises ``UnconvertibleError``."""
    if misp_type in SIMPLE_PATHS:
        object_type, path = SIMPLE_PATHS[misp_type]
        return [Comparison(object_type, path, _text(value, f"{misp_type} value"))]
    if misp_type in HASH_TYPES:
        key, digest = _hash_value(misp_type, value)
        return [Comparison("file", _hash_path(key), digest)]
    if misp_type.startswith(("filename|", "malware-sample")):
        name, digest_text = _split(value, misp_type, last=True)
        hash_type = "md5" if misp_type == "malware-sample" else misp_type.partition("|")[2]
        if hash_type not in HASH_TYPES:
            raise UnconvertibleError(f"MISP type {misp_type!r} has no STIX 2.1 mapping")
        key, digest = _hash_value(hash_type, digest_text)
        return [
            Comparison("file", "name", _text(name, "file name")),
            Comparison("file", _hash_path(key), digest),
        ]
    if misp_type.startswith("x509-fingerprint-"):
        hash_type = misp_type.removeprefix("x509-fingerprint-")
        if hash_type not in HASH_TYPES:
            raise UnconvertibleError(f"MISP type {misp_type!r} has no STIX 2.1 mapping")
        key, digest = _hash_value(hash_type, value)
        return [Comparison("x509-certificate", _hash_path(key), digest)]
    handler = _COMPARISON_HANDLERS.get(misp_type)
    if handler is not None:
        return handler(value)
    raise UnconvertibleError(
        UNMAPPED_REASONS.get(misp_type, f"MISP type {misp_type!r} is not mapped")
    )


def _cmp_ip(value: str) -> list[Comparison]:
    kind, text = _ip(value)
    return [Comparison(kind, "value", text)]


def _cmp_ip_port(side: str) -> Callable[[str], list[Comparison]]:
    def handler(value: str) -> list[Comparison]:
        address, port = _split(value, f"ip-{side}|port", last=True)
        kind, text = _ip(address)
        return [
            Comparison("network-traffic", f"{side}_ref.type", kind),
            Comparison("network-traffic", f"{side}_ref.value", text),
            Comparison("network-traffic", f"{side}_port", _port(port)),
        ]

    return handler


def _cmp_domain_ip(value: str) -> list[Comparison]:
    domain, address = _split(value, "domain|ip")
    _, text = _ip(address)
    return [
        Comparison("domain-name", "value", _text(domain, "domain")),
        Comparison("domain-name", "resolves_to_refs[*].value", text),
    ]


def _cmp_hostname_port(value: str) -> list[Comparison]:
    host, port = _split(value, "hostname|port", last=True)
    return [
        Comparison("network-traffic", "dst_ref.type", "domain-name"),
        Comparison("network-traffic", "dst_ref.value", _text(host, "hostname")),
        Comparison("network-traffic", "dst_port", _port(port)),
    ]


def _cmp_regkey_value(value: str) -> list[Comparison]:
    key, data = _split(value, "regkey|value")
    return [
        Comparison("windows-registry-key", "key", _text(key, "registry key")),
        Comparison("windows-registry-key", "values[*].data", data),
    ]


def _btc(value: str) -> list[Comparison]:
    text = _text(value, "btc address")
    if _BTC.match(text) is None:
        raise UnconvertibleError(f"{text!r} is not a Bitcoin address (base58 or bech32)")
    return [Comparison("x-crypto-wallet", "value", text)]


def _hex_digest(
    what: str, length: int, object_type: str, path: str
) -> Callable[[str], list[Comparison]]:
    def handler(value: str) -> list[Comparison]:
        text = _text(value, f"{what} value")
        if len(text) != length or _HEX.match(text) is None:
            raise UnconvertibleError(f"{text!r} is not a {length}-hex-digit {what}")
        return [Comparison(object_type, path, text.lower())]

    return handler


_COMPARISON_HANDLERS: Mapping[str, Callable[[str], list[Comparison]]] = MappingProxyType(
    {
        "btc": _btc,
        # pehash is a SHA-1 over normalised PE header fields: 40 hex digits.
        "pehash": _hex_digest("pehash", 40, "file", "hashes.x_pehash"),
        "pdb": lambda v: [Comparison("file", "x_pdb_path", _text(v, "pdb path"))],
        "ja3-fingerprint-md5": _hex_digest("JA3 fingerprint", 32, "x-ja3", "value"),
        "ja3s-fingerprint-md5": _hex_digest("JA3S fingerprint", 32, "x-ja3s", "value"),
        "ip-src": _cmp_ip,
        "ip-dst": _cmp_ip,
        "ip-src|port": _cmp_ip_port("src"),
        "ip-dst|port": _cmp_ip_port("dst"),
        "domain|ip": _cmp_domain_ip,
        "hostname|port": _cmp_hostname_port,
        "regkey|value": _cmp_regkey_value,
        "email": lambda v: [Comparison("email-addr", "value", _email(v))],
        "email-src": lambda v: [Comparison("email-message", "from_ref.value", _email(v))],
        "email-dst": lambda v: [Comparison("email-message", "to_refs[*].value", _email(v))],
        "port": lambda v: [Comparison("network-traffic", "dst_port", _port(v))],
        "AS": lambda v: [Comparison("autonomous-system", "number", _asn(v))],
        "mac-address": lambda v: [Comparison("mac-addr", "value", _mac(v))],
    }
)


# --- standalone values (what a deployable indicator needs) -----------------------------------


def standalone_comparisons(misp_type: str, value: str) -> tuple[list[Comparison], list[str]] | None:
    """For a composite MISP type whose parts each stand alone: the comparisons to OR and the
    parts kept as context (words for a description); ``None`` for any other type.

    ``filename|sha256 = a.exe|<hash>`` as ``file:name AND file:hashes`` is deployable by no
    matcher or exporter (both work on one value at a time, entente.matching.patterns), and the
    hash alone names the file; the file name, or an address's port, is context. ``domain|ip``
    gives two alternatives: MISP's own IDS exports (Suricata, Snort) alert on either part.
    Raises ``UnconvertibleError`` for a malformed value."""
    if misp_type.startswith("filename|") or misp_type == "malware-sample":
        comparisons = attribute_comparisons(misp_type, value)
        names = [str(c.value) for c in comparisons if c.path == "name"]
        return [c for c in comparisons if c.path != "name"], [f"file name {n}" for n in names]
    if misp_type in {"ip-src|port", "ip-dst|port"}:
        address, port = _split(value, misp_type, last=True)
        side = "source" if misp_type == "ip-src|port" else "destination"
        return _cmp_ip(address), [f"{side} port {_port(port)}"]
    if misp_type == "hostname|port":
        host, port = _split(value, misp_type, last=True)
        return [Comparison("domain-name", "value", _text(host, "hostname"))], [
            f"port {_port(port)}"
        ]
    if misp_type in {"email-src", "email-dst"}:
        # The address is the value a mail gateway or log matcher looks up; which header it
        # was in is context (email-message:from_ref.value is deployable by neither).
        role = "sender" if misp_type == "email-src" else "recipient"
        return [Comparison("email-addr", "value", _email(value))], [f"e-mail {role}"]
    if misp_type == "domain|ip":
        domain, address = _split(value, misp_type)
        return [Comparison("domain-name", "value", _text(domain, "domain")), *_cmp_ip(address)], []
    return None


# MISP objects whose identifying attributes each name the thing on their own: any one hash
# names the file, and the domain and each address of a domain-ip or ip-port object stand
# alone (MISP object templates file, domain-ip, ip-port, network-connection), as does each
# address of an email. Their other attributes (file name, size, ports, subject) are context:
# an AND of them is deployable by no matcher or exporter.
STANDALONE_OBJECTS = frozenset({"file", "domain-ip", "ip-port", "network-connection", "email"})
_ADDRESS_RELATIONS = frozenset({"ip", "ip-src", "ip-dst"})
_EMAIL_ADDRESS_RELATIONS = frozenset({"from", "to", "cc", "bcc", "reply-to", "return-path"})


def object_standalone(name: str, attribute: Mapping[str, Any]) -> Comparison | None:
    """The one comparison that identifies a ``STANDALONE_OBJECTS`` object through this
    attribute, or ``None`` for a context attribute (or another object); raises
    ``UnconvertibleError`` for a malformed value."""
    if name not in STANDALONE_OBJECTS:
        return None
    relation = str(attribute.get("object_relation", ""))
    misp_type = str(attribute.get("type", ""))
    value = str(attribute.get("value", ""))
    if misp_type in HASH_TYPES:
        key, digest = _hash_value(misp_type, value)
        return Comparison("file", _hash_path(key), digest)
    if misp_type == "malware-sample" or misp_type.startswith("filename|"):
        found = standalone_comparisons(misp_type, value)
        return found[0][0] if found and found[0] else None
    if misp_type in {"ip-src", "ip-dst"} or relation in _ADDRESS_RELATIONS:
        return _cmp_ip(value)[0]
    if misp_type in {"domain", "hostname"}:
        return Comparison("domain-name", "value", _text(value, misp_type))
    if name == "email" and relation in _EMAIL_ADDRESS_RELATIONS:
        return Comparison("email-addr", "value", _email(value))
    return None


# --- observables (other attributes -> SCOs) --------------------------------------------------

# STIX 2.1 §6: the ID Contributing Properties of each SCO type (used for §2.9 UUIDv5 ids).
ID_CONTRIBUTING: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "autonomous-system": ("number",),
        "directory": ("path",),
        "domain-name": ("value",),
        "email-addr": ("value",),
        "email-message": ("from_ref", "subject", "body"),
        "file": ("hashes", "name", "extensions", "parent_directory_ref"),
        "ipv4-addr": ("value",),
        "ipv6-addr": ("value",),
        "mac-addr": ("value",),
        "mutex": ("name",),
        "network-traffic": (
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ),
        "url": ("value",),
        "windows-registry-key": ("key", "values"),
        "x509-certificate": ("hashes", "serial_number"),
    }
)
# §2.9: of a hashes dictionary only one hash contributes, in this order of preference.
_HASH_PREFERENCE = ("MD5", "SHA-1", "SHA-256", "SHA-512")


def make_sco(object_type: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """An SCO with its deterministic id (§2.9) computed from its id-contributing properties."""
    contributing: dict[str, Any] = {}
    for key in ID_CONTRIBUTING[object_type]:
        if key not in properties:
            continue
        value = properties[key]
        if key == "hashes":
            chosen = next((k for k in _HASH_PREFERENCE if k in value), next(iter(value)))
            value = {chosen: value[chosen]}
        contributing[key] = value
    return {
        "type": object_type,
        "spec_version": "2.1",
        "id": sco_id(object_type, contributing),
        **properties,
    }


def _sco_ip(value: str) -> list[dict[str, Any]]:
    kind, text = _ip(value)
    return [make_sco(kind, {"value": text})]


def _sco_ip_port(side: str) -> Callable[[str], list[dict[str, Any]]]:
    def handler(value: str) -> list[dict[str, Any]]:
        address, port = _split(value, f"ip-{side}|port", last=True)
        kind, text = _ip(address)
        ip = make_sco(kind, {"value": text})
        traffic = make_sco(
            "network-traffic",
            {
                f"{side}_ref": ip["id"],
                f"{side}_port": _port(port),
                "protocols": [kind.removesuffix("-addr")],
            },
        )
        return [ip, traffic]

    return handler


def _sco_domain_ip(value: str) -> list[dict[str, Any]]:
    domain, address = _split(value, "domain|ip")
    kind, text = _ip(address)
    ip = make_sco(kind, {"value": text})
    name = make_sco(
        "domain-name", {"value": _text(domain, "domain"), "resolves_to_refs": [ip["id"]]}
    )
    return [ip, name]


def _sco_hostname_port(value: str) -> list[dict[str, Any]]:
    host, port = _split(value, "hostname|port", last=True)
    name = make_sco("domain-name", {"value": _text(host, "hostname")})
    traffic = make_sco(
        "network-traffic", {"dst_ref": name["id"], "dst_port": _port(port), "protocols": ["tcp"]}
    )
    return [name, traffic]


def _sco_regkey_value(value: str) -> list[dict[str, Any]]:
    key, data = _split(value, "regkey|value")
    return [
        make_sco(
            "windows-registry-key",
            {"key": _text(key, "registry key"), "values": [{"data": data}]},
        )
    ]


def _sco_text(object_type: str, prop: str) -> Callable[[str], list[dict[str, Any]]]:
    def handler(value: str) -> list[dict[str, Any]]:
        return [make_sco(object_type, {prop: _text(value, f"{object_type} {prop}")})]

    return handler


_OBSERVABLE_HANDLERS: Mapping[str, Callable[[str], list[dict[str, Any]]]] = MappingProxyType(
    {
        "ip-src": _sco_ip,
        "ip-dst": _sco_ip,
        "ip-src|port": _sco_ip_port("src"),
        "ip-dst|port": _sco_ip_port("dst"),
        "domain|ip": _sco_domain_ip,
        "hostname|port": _sco_hostname_port,
        "regkey|value": _sco_regkey_value,
        "domain": _sco_text("domain-name", "value"),
        "hostname": _sco_text("domain-name", "value"),
        "url": _sco_text("url", "value"),
        "uri": _sco_text("url", "value"),
        "link": _sco_text("url", "value"),
        "filename": _sco_text("file", "name"),
        "attachment": _sco_text("file", "name"),
        "email-attachment": _sco_text("file", "name"),
        "mutex": _sco_text("mutex", "name"),
        "regkey": _sco_text("windows-registry-key", "key"),
        "email": lambda v: [make_sco("email-addr", {"value": _email(v)})],
        "email-src": lambda v: [make_sco("email-addr", {"value": _email(v)})],
        "email-dst": lambda v: [make_sco("email-addr", {"value": _email(v)})],
        "email-subject": lambda v: [
            make_sco("email-message", {"is_multipart": False, "subject": v})
        ],
        "AS": lambda v: [make_sco("autonomous-system", {"number": _asn(v)})],
        "mac-address": lambda v: [make_sco("mac-addr", {"value": _mac(v)})],
    }
)


def attribute_observables(misp_type: str, value: str) -> list[dict[str, Any]]:
    """The SCOs a non-to_ids attribute stands for; raises ``UnconvertibleError``."""
    if misp_type in HASH_TYPES:
        key, digest = _hash_value(misp_type, value)
        return [make_sco("file", {"hashes": {key: digest}})]
    if misp_type.startswith(("filename|", "malware-sample")):
        name, digest_text = _split(value, misp_type, last=True)
        hash_type = "md5" if misp_type == "malware-sample" else misp_type.partition("|")[2]
        if hash_type not in HASH_TYPES:
            raise UnconvertibleError(f"MISP type {misp_type!r} has no STIX 2.1 mapping")
        key, digest = _hash_value(hash_type, digest_text)
        return [make_sco("file", {"name": _text(name, "file name"), "hashes": {key: digest}})]
    if misp_type.startswith("x509-fingerprint-"):
        hash_type = misp_type.removeprefix("x509-fingerprint-")
        if hash_type not in HASH_TYPES:
            raise UnconvertibleError(f"MISP type {misp_type!r} has no STIX 2.1 mapping")
        key, digest = _hash_value(hash_type, value)
        return [make_sco("x509-certificate", {"hashes": {key: digest}})]
    handler = _OBSERVABLE_HANDLERS.get(misp_type)
    if handler is not None:
        return handler(value)
    if misp_type in {"port", "user-agent", "imphash"}:
        raise UnconvertibleError(f"a lone {misp_type} value makes no complete STIX 2.1 SCO")
    raise UnconvertibleError(
        UNMAPPED_REASONS.get(misp_type, f"MISP type {misp_type!r} is not mapped")
    )


# --- MISP objects ------------------------------------------------------------------------------

# (object name, object_relation) -> (SCO type, property path, value kind) for relations whose
# meaning depends on the object template (MISP object templates: misp-objects/objects/*).
_PE_SECTION = "extensions.'windows-pebinary-ext'.sections[*]"
OBJECT_RELATION_PATHS: Mapping[tuple[str, str], tuple[str, str, str]] = MappingProxyType(
    {
        ("file", "size-in-bytes"): ("file", "size", "int"),
        ("file", "mimetype"): ("file", "mime_type", "text"),
        ("file", "path"): ("file", "parent_directory_ref.path", "text"),
        ("domain-ip", "ip"): ("domain-name", "resolves_to_refs[*].value", "ip"),
        ("ip-port", "ip"): ("network-traffic", "dst_ref.value", "ip"),
        ("ip-port", "ip-dst"): ("network-traffic", "dst_ref.value", "ip"),
        ("ip-port", "ip-src"): ("network-traffic", "src_ref.value", "ip"),
        ("ip-port", "dst-port"): ("network-traffic", "dst_port", "port"),
        ("ip-port", "src-port"): ("network-traffic", "src_port", "port"),
        ("network-connection", "ip-dst"): ("network-traffic", "dst_ref.value", "ip"),
        ("network-connection", "ip-src"): ("network-traffic", "src_ref.value", "ip"),
        ("network-connection", "dst-port"): ("network-traffic", "dst_port", "port"),
        ("network-connection", "src-port"): ("network-traffic", "src_port", "port"),
        ("email", "from"): ("email-message", "from_ref.value", "text"),
        ("email", "to"): ("email-message", "to_refs[*].value", "text"),
        ("email", "cc"): ("email-message", "cc_refs[*].value", "text"),
        ("email", "subject"): ("email-message", "subject", "text"),
        ("email", "message-id"): ("email-message", "message_id", "text"),
        ("email", "attachment"): ("email-message", "body_multipart[*].body_raw_ref.name", "text"),
        ("registry-key", "key"): ("windows-registry-key", "key", "text"),
        ("registry-key", "data"): ("windows-registry-key", "values[*].data", "text"),
        ("registry-key", "name"): ("windows-registry-key", "values[*].name", "text"),
        ("pe-section", "name"): ("file", f"{_PE_SECTION}.name", "text"),
        ("pe-section", "entropy"): ("file", f"{_PE_SECTION}.entropy", "float"),
        ("pe-section", "size-in-bytes"): ("file", f"{_PE_SECTION}.size", "int"),
    }
)
# Objects whose hash attributes describe a part of a file, not the file (PE sections).
_SECTION_OBJECTS = frozenset({"pe-section"})


def _kind_value(kind: str, value: str) -> str | int | float:
    if kind == "int":
        text = value.strip()
        if not text.isdigit():
            raise UnconvertibleError(f"{value!r} is not a non-negative integer")
        return int(text)
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            raise UnconvertibleError(f"{value!r} is not a number") from None
    if kind == "ip":
        return _ip(value)[1]
    if kind == "port":
        return _port(value)
    return _text(value, "value")


def object_comparisons(name: str, attribute: Mapping[str, Any]) -> list[Comparison]:
    """The comparisons for one to_ids attribute of a MISP object; raises ``UnconvertibleError``."""
    relation = str(attribute.get("object_relation", ""))
    misp_type = str(attribute.get("type", ""))
    value = str(attribute.get("value", ""))
    mapped = OBJECT_RELATION_PATHS.get((name, relation))
    if mapped is not None:
        object_type, path, kind = mapped
        return [Comparison(object_type, path, _kind_value(kind, value))]
    if name in _SECTION_OBJECTS and misp_type in HASH_TYPES:
        key, digest = _hash_value(misp_type, value)
        return [Comparison("file", f"{_PE_SECTION}.{_hash_path(key)}", digest)]
    return attribute_comparisons(misp_type, value)


def object_observables(name: str, attributes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The SCOs a MISP object stands for (its main SCO last); raises ``UnconvertibleError``."""
    if name in _SECTION_OBJECTS:
        raise UnconvertibleError(f"a lone {name} object makes no complete STIX 2.1 SCO")
    if name == "file":
        return _file_object(attributes)
    if name == "domain-ip":
        return _domain_ip_object(attributes)
    if name in {"ip-port", "network-connection"}:
        return _traffic_object(attributes)
    if name == "email":
        return _email_object(attributes)
    scos: list[dict[str, Any]] = []
    for attribute in attributes:
        try:
            scos.extend(
                attribute_observables(str(attribute.get("type")), str(attribute.get("value", "")))
            )
        except UnconvertibleError:
            continue  # the object's other attributes still describe it
    if not scos:
        raise UnconvertibleError(f"no attribute of the {name!r} object maps to a STIX 2.1 SCO")
    return scos


def _by_relation(attributes: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (str(a.get("object_relation", "")), str(a.get("type", "")), str(a.get("value", "")))
        for a in attributes
    ]


def _file_object(attributes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    props: dict[str, Any] = {}
    hashes: dict[str, str] = {}
    scos: list[dict[str, Any]] = []
    for relation, misp_type, value in _by_relation(attributes):
        if misp_type in HASH_TYPES:
            key, digest = _hash_value(misp_type, value)
            hashes.setdefault(key, digest)
        elif relation == "filename":
            props.setdefault("name", _text(value, "file name"))
        elif relation == "size-in-bytes":
            props.setdefault("size", _kind_value("int", value))
        elif relation == "mimetype":
            props.setdefault("mime_type", _text(value, "MIME type"))
        elif relation == "path" and "parent_directory_ref" not in props:
            directory = make_sco("directory", {"path": _text(value, "path")})
            scos.append(directory)
            props["parent_directory_ref"] = directory["id"]
    if hashes:
        props["hashes"] = hashes
    if "name" not in props and not hashes:
        raise UnconvertibleError("a file object needs a filename or a hash to make a file SCO")
    return [*scos, make_sco("file", props)]


def _domain_ip_object(attributes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    ips: list[dict[str, Any]] = []
    domains: list[str] = []
    for relation, misp_type, value in _by_relation(attributes):
        if misp_type in {"ip-dst", "ip-src"} or relation == "ip":
            ips.extend(_sco_ip(value))
        elif misp_type in {"domain", "hostname"}:
            domains.append(_text(value, "domain"))
    if not domains:
        if not ips:
            raise UnconvertibleError("a domain-ip object needs a domain or an IP address")
        return ips
    refs = {"resolves_to_refs": [ip["id"] for ip in ips]} if ips else {}
    return [*ips, *(make_sco("domain-name", {"value": d, **refs}) for d in domains)]


def _traffic_object(attributes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    props: dict[str, Any] = {}
    scos: list[dict[str, Any]] = []
    protocols: list[str] = []
    for relation, misp_type, value in _by_relation(attributes):
        side = "src" if relation == "ip-src" or misp_type == "ip-src" else "dst"
        if misp_type in {"ip-src", "ip-dst"} and f"{side}_ref" not in props:
            ip = _sco_ip(value)[0]
            scos.append(ip)
            props[f"{side}_ref"] = ip["id"]
            protocols = protocols or [ip["type"].removesuffix("-addr")]
        elif relation in {"src-port", "dst-port"}:
            props.setdefault(f"{relation[:3]}_port", _port(value))
    if "src_ref" not in props and "dst_ref" not in props:
        raise UnconvertibleError("a network-traffic SCO needs a source or destination address")
    props["protocols"] = protocols
    return [*scos, make_sco("network-traffic", props)]


def _email_object(attributes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    props: dict[str, Any] = {"is_multipart": False}
    scos: list[dict[str, Any]] = []
    for relation, _misp_type, value in _by_relation(attributes):
        if relation in {"from", "to", "cc"}:
            address = make_sco("email-addr", {"value": _email(value)})
            scos.append(address)
            if relation == "from":
                props.setdefault("from_ref", address["id"])
            else:
                props.setdefault(f"{relation}_refs", []).append(address["id"])
        elif relation == "subject":
            props.setdefault("subject", value)
        elif relation == "message-id":
            props.setdefault("message_id", value)
    if len(props) == 1:
        raise UnconvertibleError("an email object needs a sender, recipient, subject or message-id")
    return [*scos, make_sco("email-message", props)]
