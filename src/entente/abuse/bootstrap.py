"""The IANA RDAP bootstrap registries (RFC 9224): which RDAP server answers for an address or
a domain. Values in, values out; ``rdap_client.fetch_bootstrap`` loads the files."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from entente.abuse.targets import Target, TargetKind
from entente.errors import MalformedDocument

__all__ = ["BootstrapRegistry", "parse_bootstrap", "rdap_base_urls"]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class BootstrapRegistry:
    """The three registries an abuse lookup needs: IPv4, IPv6 and DNS (RFC 9224 §5.1, §4)."""

    networks: tuple[tuple[IpNetwork, tuple[str, ...]], ...]
    domains: tuple[tuple[str, tuple[str, ...]], ...]


def _services(document: Mapping[str, Any], name: str) -> list[tuple[list[str], list[str]]]:
    # RFC 9224 §3: {"version", "publication", "services": [[[entries], [urls]], ...]}.
    services = document.get("services")
    if not isinstance(services, list):
        raise MalformedDocument(f"{name}: no 'services' array (RFC 9224 §3)")
    found: list[tuple[list[str], list[str]]] = []
    for i, service in enumerate(services):
        if (
            not isinstance(service, list)
            or len(service) < 2
            or not all(isinstance(x, str) for part in service[:2] for x in part)
        ):
            raise MalformedDocument(f"{name}: services[{i}] is not [[entries], [urls]]")
        found.append((list(service[0]), list(service[1])))
    return found


def _urls(urls: list[str]) -> tuple[str, ...]:
    # RFC 9224 §3: a client should prefer https; base URLs end with "/" so paths append.
    ordered = sorted(urls, key=lambda u: not u.startswith("https://"))
    return tuple(u if u.endswith("/") else f"{u}/" for u in ordered)


def parse_bootstrap(
    ipv4: Mapping[str, Any], ipv6: Mapping[str, Any], dns: Mapping[str, Any]
) -> BootstrapRegistry:
    """The registry from IANA's ``ipv4.json``, ``ipv6.json`` and ``dns.json``."""
    networks: list[tuple[IpNetwork, tuple[str, ...]]] = []
    for name, document in (("ipv4.json", ipv4), ("ipv6.json", ipv6)):
        for entries, urls in _services(document, name):
            for entry in entries:
                try:
                    networks.append((ipaddress.ip_network(entry), _urls(urls)))
                except ValueError as exc:
                    raise MalformedDocument(f"{name}: {entry!r} is not a prefix: {exc}") from None
    domains = [
        (entry.lower().rstrip("."), _urls(urls))
        for entries, urls in _services(dns, "dns.json")
        for entry in entries
    ]
    return BootstrapRegistry(tuple(networks), tuple(domains))


def rdap_base_urls(registry: BootstrapRegistry, target: Target) -> tuple[str, ...]:
    """The base URLs of the RDAP servers for ``target`` (https first), by longest match:
    the longest covering prefix (RFC 9224 §5.1), the longest matching label suffix (§4).
    Empty when no server is registered."""
    if target.kind is TargetKind.IP:
        address = ipaddress.ip_address(target.value)
        covering = [
            (network.prefixlen, urls)
            for network, urls in registry.networks
            if network.version == address.version and address in network
        ]
        return max(covering, key=lambda c: c[0])[1] if covering else ()
    labels = target.value.split(".")
    by_suffix = dict(registry.domains)
    for start in range(len(labels)):
        urls = by_suffix.get(".".join(labels[start:]))
        if urls:
            return urls
    return ()
