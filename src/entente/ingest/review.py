"""The review of values found in free text: warninglists and the reporting CERT's own addresses.

A threat report mentions, beside the attacker's infrastructure, what is not malicious at all: the
resolver the malware checks connectivity with (8.8.8.8), a site it visits to look normal
(google.com), the victim's private addresses (10.0.0.5) and the reporting CERT's own network and
mail domain. Made into indicators and shared, these block a partner's DNS or flag the CERT
itself. Each value found in free text is therefore reviewed before it becomes an indicator: the
CERT's own addresses first (the more specific reason), then the warninglists, the same lists and
lookup (``WarninglistSet.match``) that exports apply. Pure: values and lists in, verdicts out.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from entente.ingest.values import TypedValue, ValueType

__all__ = [
    "Finding",
    "LeftOutReason",
    "ListedHit",
    "OwnAddresses",
    "Verdict",
    "WarninglistLookup",
    "review_value",
    "value_label",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ListedHit(Protocol):
    """What a warninglist lookup says about a value it catches (``WarninglistHit``)."""

    @property
    def list_name(self) -> str: ...

    @property
    def entry(self) -> str: ...


class WarninglistLookup(Protocol):
    """The warninglists in force (``entente.scoring.WarninglistSet``: ingest may not import
    scoring, a sibling layer, so the reviewer names only the one method it calls)."""

    def match(self, kind: str, op: str, value: str) -> ListedHit | None: ...


class LeftOutReason(enum.StrEnum):
    """Why the review leaves a value out."""

    WARNINGLIST = "warninglist"
    OWN_NETWORK = "own network"
    OWN_DOMAIN = "own domain"


@dataclass(frozen=True, slots=True)
class Finding:
    """What the review found about a value: the reason, and the list, block or domain."""

    reason: LeftOutReason
    detail: str  # the warninglist's name, the own CIDR block, the own domain
    entry: str | None = None  # the warninglist entry that caught the value

    def describe(self) -> str:
        """``warninglist List of RFC 1918 CIDR blocks (entry 10.0.0.0/8)``, ``own network
        198.51.100.0/24``, ``own domain cert.example``."""
        entry = f" (entry {self.entry})" if self.entry is not None else ""
        return f"{self.reason.value} {self.detail}{entry}"

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON."""
        return {"reason": self.reason.value, "detail": self.detail, "entry": self.entry}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a reviewed value becomes an indicator, and what the review found about it.

    ``kept`` with a finding: ``--force`` kept a value the review would have left out.
    """

    kept: bool
    finding: Finding | None = None

    def describe(self) -> str:
        """``kept``, ``left out: own network 198.51.100.0/24``, ``kept (forced): ...``."""
        if self.finding is None:
            return "kept"
        return f"{'kept (forced)' if self.kept else 'left out'}: {self.finding.describe()}"


# RFC 1035 §2.3.1 labels, underscores tolerated (service names such as _dmarc).
_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def _domain_name(text: str) -> str:
    name = text.strip().lower().removeprefix("*.").strip(".")
    if not name.isascii():
        name = name.encode("idna").decode("ascii")  # UnicodeError is a ValueError
    if not name or not all(_LABEL_RE.fullmatch(label) for label in name.split(".")):
        raise ValueError(f"{text!r} is not a domain name")
    return name


@dataclass(frozen=True, slots=True)
class OwnAddresses:
    """The reporting CERT's own networks and domains (settings ``own_networks``,
    ``own_domains``): a value inside them is the reporter, not the attacker."""

    networks: tuple[Network, ...] = ()
    domains: tuple[str, ...] = ()

    @classmethod
    def parse(cls, networks: Iterable[str], domains: Iterable[str]) -> OwnAddresses:
        """Blocks (``198.51.100.0/24``, a bare address is a block of one) and domain names
        (lower-cased, IDNs as punycode, a leading ``*.`` dropped: a domain covers its
        subdomains anyway). Raises ``ValueError`` naming the first one that is neither."""
        parsed_networks: list[Network] = []
        for text in networks:
            try:
                # Host bits are dropped (198.51.100.7/24 is the /24): a setting names the
                # block, and a typo there should not turn the check off.
                parsed_networks.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{text!r} is not an IP address or CIDR block") from None
        parsed_domains = [_domain_name(text) for text in domains]
        return cls(tuple(dict.fromkeys(parsed_networks)), tuple(dict.fromkeys(parsed_domains)))

    def __bool__(self) -> bool:
        return bool(self.networks or self.domains)

    def claim(self, value: TypedValue) -> Finding | None:
        """The own block or domain ``value`` lies in, or ``None``.

        An address inside a block; a CIDR value that overlaps one (deploying it would block
        part of the own network); a domain that is an own domain or under one; a URL by its
        host and an e-mail address by its domain. Hashes are no one's address.
        """
        kind = value.type
        if kind in (ValueType.IPV4, ValueType.IPV6, ValueType.IP_PORT):
            return self._network_of(ipaddress.ip_network(value.host))
        if kind in (ValueType.IPV4_CIDR, ValueType.IPV6_CIDR):
            return self._network_of(ipaddress.ip_network(value.value))
        if kind is ValueType.DOMAIN:
            return self._domain_of(value.value)
        if kind is ValueType.EMAIL:
            return self._domain_of(value.value.rpartition("@")[2])
        if kind is ValueType.URL:
            return self._host_of_url(value.value)
        return None

    def _network_of(self, block: Network) -> Finding | None:
        for own in self.networks:
            if own.version == block.version and own.overlaps(block):
                return Finding(LeftOutReason.OWN_NETWORK, own.compressed)
        return None

    def _domain_of(self, name: str) -> Finding | None:
        for own in self.domains:
            if name == own or name.endswith("." + own):
                return Finding(LeftOutReason.OWN_DOMAIN, own)
        return None

    def _host_of_url(self, url: str) -> Finding | None:
        host = _url_host(url)
        if host.startswith("["):
            return self._network_of(ipaddress.ip_network(host[1:-1]))
        try:
            return self._network_of(ipaddress.ip_network(host))
        except ValueError:
            return self._domain_of(host)


def _url_host(url: str) -> str:
    """The host of a URL in ``TypedValue`` normal form (scheme, userinfo and port dropped)."""
    rest = url.partition("://")[2]
    authority = rest
    for stop in "/?#":
        authority = authority.partition(stop)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


# Each value type as the export item kind and operator the warninglists are looked up with
# (``entente.export.model.ItemKind``/``ItemOp``, spelled as ``WarninglistSet.match`` takes
# them). SHA-512 has no item kind: no MISP warninglist type speaks of it, so it is not looked up.
_LOOKUP: Mapping[ValueType, tuple[str, str]] = MappingProxyType(
    {
        ValueType.IPV4: ("ip", "equals"),
        ValueType.IPV6: ("ip", "equals"),
        ValueType.IP_PORT: ("ip", "equals"),
        ValueType.IPV4_CIDR: ("ip", "in_network"),
        ValueType.IPV6_CIDR: ("ip", "in_network"),
        ValueType.DOMAIN: ("domain", "equals"),
        ValueType.URL: ("url", "equals"),
        ValueType.EMAIL: ("email", "equals"),
        ValueType.MD5: ("md5", "equals"),
        ValueType.SHA1: ("sha1", "equals"),
        ValueType.SHA256: ("sha256", "equals"),
    }
)

# What each value type is called in the review table: the STIX 2.1 cyber-observable its
# pattern names (§6), and for a file hash the hash (§10.6 hashing-algorithm-ov).
_LABELS: Mapping[ValueType, str] = MappingProxyType(
    {
        ValueType.IPV4: "ipv4-addr",
        ValueType.IPV6: "ipv6-addr",
        ValueType.IPV4_CIDR: "ipv4-addr (CIDR)",
        ValueType.IPV6_CIDR: "ipv6-addr (CIDR)",
        ValueType.IP_PORT: "ip-addr:port",
        ValueType.DOMAIN: "domain-name",
        ValueType.URL: "url",
        ValueType.EMAIL: "email-addr",
        ValueType.MD5: "file MD5",
        ValueType.SHA1: "file SHA-1",
        ValueType.SHA256: "file SHA-256",
        ValueType.SHA512: "file SHA-512",
    }
)


def value_label(value_type: ValueType) -> str:
    """The name a value type is shown under (``ipv4-addr``, ``domain-name``, ``file SHA-256``)."""
    return _LABELS[value_type]


def review_value(
    value: TypedValue,
    *,
    warninglists: WarninglistLookup,
    own: OwnAddresses,
    force: bool = False,
) -> Verdict:
    """Whether ``value`` becomes an indicator: left out when it lies in the CERT's own
    addresses, else when a warninglist catches it; ``force`` keeps it all the same (the
    verdict still says what was found, so that a forced ingest shows what it overrode)."""
    finding = own.claim(value)
    if finding is None and (lookup := _LOOKUP.get(value.type)) is not None:
        kind, op = lookup
        hit = warninglists.match(kind, op, value.host)
        if hit is not None:
            finding = Finding(LeftOutReason.WARNINGLIST, hit.list_name, hit.entry)
    return Verdict(kept=finding is None or force, finding=finding)
