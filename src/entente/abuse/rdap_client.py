"""RDAP over HTTP (RFC 7480) with ``httpx``: the bootstrap registries and the abuse contacts
of an address or a domain. The node's one RDAP adapter; everything it reads is parsed by the
sans-IO modules beside it.

Redirects are followed (RFC 7480 §5.2: a registry answers 301/302/303/307/308 with the
server that holds the record), up to the client's ``max_redirects`` (``rdap_http``: 5).

No RDAP library is used: the maintained Python client (``whoisit``) keeps its bootstrap in
process-wide state, which Entente's adapters never do (conventions §5), and the protocol is
a GET and a JSON document over the ``httpx`` the node already uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import httpx

from entente.abuse.bootstrap import BootstrapRegistry, parse_bootstrap, rdap_base_urls
from entente.abuse.contacts import (
    AbuseContact,
    ContactLookup,
    covers,
    domain_abuse_contacts,
    has_abuse_role,
    ip_abuse_contacts,
    parent_network_url,
    registry_fallback,
)
from entente.abuse.targets import Target, TargetKind, rdap_path
from entente.errors import DeliveryFailed, MalformedDocument, ObjectNotFound

__all__ = [
    "MAX_PARENTS",
    "MAX_REDIRECTS",
    "RdapClient",
    "RdapLookup",
    "fetch_bootstrap",
    "rdap_http",
]

MAX_REDIRECTS = 5
# How many covering networks are climbed ("up" links) for an abuse role: a customer's
# assignment, the ISP's allocation, the registry's block. Bounded, as a loop of links could be.
MAX_PARENTS = 3
# RFC 7480 §4.2: ask for RDAP's media type (RFC 7483 registered it).
_ACCEPT = "application/rdap+json, application/json;q=0.9"


def _get_json(http: httpx.Client, url: str) -> tuple[str, Mapping[str, Any]]:
    try:
        response = http.get(url, headers={"Accept": _ACCEPT}, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"RDAP {url}: {exc}") from exc
    if response.status_code == 404:
        raise ObjectNotFound(f"RDAP {url}: no such object (404)")
    if response.status_code != 200:
        raise DeliveryFailed(f"RDAP {url}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise MalformedDocument(f"RDAP {url}: not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise MalformedDocument(f"RDAP {url}: not a JSON object")
    return str(response.url), data


def rdap_http(timeout: float) -> httpx.Client:
    """An HTTP client for RDAP: the timeout given, at most ``MAX_REDIRECTS`` redirects."""
    return httpx.Client(timeout=timeout, max_redirects=MAX_REDIRECTS)


def fetch_bootstrap(http: httpx.Client, base_url: str) -> BootstrapRegistry:
    """IANA's ``ipv4.json``, ``ipv6.json`` and ``dns.json`` under ``base_url`` (RFC 9224 §3)."""
    base = base_url if base_url.endswith("/") else f"{base_url}/"
    documents = [_get_json(http, urljoin(base, name))[1] for name in ("ipv4.json", "ipv6.json")]
    dns = _get_json(http, urljoin(base, "dns.json"))[1]
    return parse_bootstrap(documents[0], documents[1], dns)


class RdapClient:
    """Looks up abuse contacts over RDAP; the caller owns ``http`` (its timeouts, its close)."""

    def __init__(self, http: httpx.Client, registry: BootstrapRegistry) -> None:
        self._http = http
        self._registry = registry

    def find_contacts(self, target: Target) -> ContactLookup:
        """The abuse contacts of ``target`` from the first RDAP server that answers it;
        ``ObjectNotFound`` when no server is registered for it or none has the record."""
        bases = rdap_base_urls(self._registry, target)
        if not bases:
            raise ObjectNotFound(f"no RDAP server is registered for {target.value} (RFC 9224)")
        failure: DeliveryFailed | None = None
        for base in bases:
            try:
                url, answer = _get_json(self._http, urljoin(base, rdap_path(target)))
            except DeliveryFailed as exc:
                failure = exc  # RFC 9224 §3: try the next URL of the same service
                continue
            if target.kind is TargetKind.IP:
                contacts = ip_abuse_contacts(answer, url)
                if not has_abuse_role(contacts):
                    found = self._registry_fallback(answer, url, target.value)
                    if found is not None:
                        return ContactLookup(target, found[0], found[1])
            else:
                contacts = domain_abuse_contacts(answer, url)
            return ContactLookup(target, url, contacts)
        assert failure is not None  # bases was not empty and every one failed
        raise failure

    def _registry_fallback(
        self, answer: Mapping[str, Any], url: str, address: str
    ) -> tuple[str, tuple[AbuseContact, ...]] | None:
        """The abuse role of the nearest covering network up to ``MAX_PARENTS`` "up" links
        above ``answer``, and the URL that named it; None when none is reachable or names
        one (the caller then keeps the network's own fallback roles)."""
        seen = {url}
        child = answer
        for _ in range(MAX_PARENTS):
            parent_url = parent_network_url(child)
            if parent_url is None or parent_url in seen:
                return None
            seen.add(parent_url)
            try:
                parent_url, parent = _get_json(self._http, parent_url)
            except (DeliveryFailed, ObjectNotFound, MalformedDocument):
                return None  # the network's own contacts are still an answer
            if not covers(parent, address):
                return None  # not the address's registry: do not trust what it names
            found = registry_fallback(answer, parent, parent_url)
            if found:
                return parent_url, found
            child = parent
        return None


class RdapLookup:
    """The node's contact finder as configured (``[abuse] rdap_bootstrap_url``,
    ``rdap_timeout``): each lookup opens its own HTTP client, reads the bootstrap registries
    and asks the server they name, then closes the client. It holds no connection, so a
    long-running server and a one-shot command build it the same way
    (``entente.bootstrap.abuse``) and nothing needs closing (conventions §8)."""

    def __init__(self, bootstrap_url: str, timeout: float) -> None:
        self._bootstrap_url = bootstrap_url
        self._timeout = timeout

    def find_contacts(self, target: Target) -> ContactLookup:
        """The abuse contacts of ``target`` (``RdapClient.find_contacts``)."""
        # The registries are read each time: IANA updates them, and a lookup is rare (one
        # per drafted report), so a cache would only add staleness.
        with rdap_http(self._timeout) as http:
            registry = fetch_bootstrap(http, self._bootstrap_url)
            return RdapClient(http, registry).find_contacts(target)
