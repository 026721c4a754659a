"""Abuse contacts read from RDAP answers (RFC 9083): who to tell, where that came from, and why.

An IP network (§5.4) names its abuse desk as an entity with the ``abuse`` role (§10.2.4),
at the top level (RIPE, APNIC) or nested under the registrant (ARIN); a domain (§5.3) under
the ICANN gTLD RDAP Response Profile (§2.4.5) names the registrar's abuse contact as an
``abuse`` entity nested in the ``registrar`` entity. When no abuse role is named, the
registrant's or technical contact (IP) or the registrar itself (domain) is the fallback, and
the choice says so.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from entente.abuse.targets import Target
from entente.errors import InvalidInput

__all__ = [
    "AbuseContact",
    "ContactLookup",
    "covers",
    "domain_abuse_contacts",
    "has_abuse_role",
    "ip_abuse_contacts",
    "parent_network_url",
    "registry_fallback",
]

# The link relations that point at the covering network: IANA's "up" (RFC 8288) as RDAP
# servers use it, and "rdap-up" (draft-ietf-regext-rdap-rir-search) where a server uses that.
_UP_RELATIONS = ("up", "rdap-up")

# The roles tried, in order, when an IP network names no abuse entity (RFC 9083 §10.2.4).
_IP_FALLBACK_ROLES = ("registrant", "technical", "administrative", "noc")


@dataclass(frozen=True, slots=True)
class AbuseContact:
    """One address to send abuse reports to, with where it came from and why it was chosen."""

    email: str
    name: str | None
    handle: str | None
    roles: tuple[str, ...]
    # The RDAP URL the answer came from (after redirects).
    source: str
    reason: str
    # Whose desk it is: the network's registrant org (IP) or the registrar (domain), by the
    # name RDAP gives (jCard ``fn``); takedown SLAs are set per provider.
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class ContactLookup:
    """The contacts found for a target and the RDAP URL that answered (after redirects)."""

    target: Target
    url: str
    contacts: tuple[AbuseContact, ...]


def _vcard_values(entity: Mapping[str, Any], prop: str) -> list[str]:
    """The values of one jCard property (RFC 7095 §3.3) of an entity, in order, de-duplicated."""
    card = entity.get("vcardArray")
    if not isinstance(card, list) or len(card) != 2 or not isinstance(card[1], list):
        return []
    values: dict[str, None] = {}
    for item in card[1]:
        if isinstance(item, list) and len(item) >= 4 and item[0] == prop:
            value = item[3]
            if isinstance(value, str) and value.strip():
                values[value.strip()] = None
    return list(values)


def _roles(entity: Mapping[str, Any]) -> tuple[str, ...]:
    roles = entity.get("roles")
    if not isinstance(roles, list):
        return ()
    return tuple(r for r in roles if isinstance(r, str))


def _entities(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = node.get("entities")
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, Mapping)]


def _walk(
    node: Mapping[str, Any], parents: tuple[str, ...] = ()
) -> Iterator[tuple[Mapping[str, Any], tuple[str, ...]]]:
    """Every entity under ``node``, breadth first: the top-level ones before nested ones."""
    level: list[tuple[Mapping[str, Any], tuple[str, ...]]] = [(e, parents) for e in _entities(node)]
    while level:
        yield from level
        nested: list[tuple[Mapping[str, Any], tuple[str, ...]]] = []
        for entity, above in level:
            name = str(entity.get("handle") or "/".join(_roles(entity)) or "entity")
            nested.extend((e, (*above, name)) for e in _entities(entity))
        level = nested


def _contact(entity: Mapping[str, Any], email: str, source: str, reason: str) -> AbuseContact:
    names = _vcard_values(entity, "fn")
    handle = entity.get("handle")
    return AbuseContact(
        email=email,
        name=names[0] if names else None,
        handle=handle if isinstance(handle, str) else None,
        roles=_roles(entity),
        source=source,
        reason=reason,
    )


def _with_role(node: Mapping[str, Any], role: str, source: str, why: str) -> list[AbuseContact]:
    """The entities with ``role`` that have an e-mail address: those with that role alone
    (a dedicated abuse desk) before those that also serve as NOC or technical contact, and
    within each, the top-level ones before nested ones."""
    found: dict[str, AbuseContact] = {}
    entities = [(e, parents) for e, parents in _walk(node) if role in _roles(e)]
    entities.sort(key=lambda item: len(set(_roles(item[0]))) > 1)
    for entity, parents in entities:
        where = f" under {' > '.join(parents)}" if parents else ""
        for email in _vcard_values(entity, "email"):
            handle = entity.get("handle") or "an entity"
            found.setdefault(
                email.lower(), _contact(entity, email, source, f"{handle}{where}: {why}")
            )
    return list(found.values())


def _name(entity: Mapping[str, Any]) -> str | None:
    names = _vcard_values(entity, "fn")
    return names[0] if names else None


def _ip_provider(answer: Mapping[str, Any]) -> str | None:
    # The registrant's name (ARIN, APNIC: the org), else the network's own name (RIPE).
    for entity in _entities(answer):
        if "registrant" in _roles(entity) and (name := _name(entity)):
            return name
    name = answer.get("name")
    return name if isinstance(name, str) and name else None


def _with_provider(
    contacts: list[AbuseContact] | tuple[AbuseContact, ...], provider: str | None
) -> tuple[AbuseContact, ...]:
    return tuple(replace(c, provider=provider) for c in contacts)


def _check_class(answer: Mapping[str, Any], expected: str) -> None:
    # RFC 9083 §4.8: every object class response names its class.
    found = answer.get("objectClassName")
    if found != expected:
        raise InvalidInput(f"RDAP answer is a {found!r}, not an {expected!r} object")


def ip_abuse_contacts(answer: Mapping[str, Any], source: str) -> tuple[AbuseContact, ...]:
    """The abuse contacts of an ``ip network`` answer: the ``abuse`` role first, then the
    registrant's, technical, administrative or NOC contact; empty when none has an email."""
    _check_class(answer, "ip network")
    provider = _ip_provider(answer)
    abuse = _with_role(answer, "abuse", source, "role abuse (RFC 9083 §10.2.4)")
    if abuse:
        return _with_provider(abuse, provider)
    for role in _IP_FALLBACK_ROLES:
        found = _with_role(answer, role, source, f"no abuse role; fallback to role {role}")
        if found:
            return _with_provider(found, provider)
    return ()


def domain_abuse_contacts(answer: Mapping[str, Any], source: str) -> tuple[AbuseContact, ...]:
    """The abuse contacts of a ``domain`` answer: the registrar's nested ``abuse`` entity
    (ICANN RDAP Response Profile §2.4.5), else the registrar itself, else a top-level
    ``abuse`` entity (some ccTLD registries)."""
    _check_class(answer, "domain")
    registrars = [e for e in _entities(answer) if "registrar" in _roles(e)]
    for registrar in registrars:
        name = str(registrar.get("handle") or "registrar")
        found = _with_role(
            registrar, "abuse", source, f"abuse contact of registrar {name} (ICANN profile §2.4.5)"
        )
        if found:
            return _with_provider(found, _name(registrar))
    for registrar in registrars:
        emails = _vcard_values(registrar, "email")
        if emails:
            why = "registrar names no abuse contact; fallback to the registrar"
            return tuple(
                replace(_contact(registrar, e, source, why), provider=_name(registrar))
                for e in emails
            )
    abuse = _with_role(answer, "abuse", source, "role abuse (RFC 9083 §10.2.4), no registrar")
    return tuple(abuse)


def has_abuse_role(contacts: tuple[AbuseContact, ...]) -> bool:
    """Whether any of the contacts is an ``abuse`` role (not a fallback to another role)."""
    return any("abuse" in c.roles for c in contacts)


def parent_network_url(answer: Mapping[str, Any]) -> str | None:
    """The absolute http(s) URL of the covering network an ``ip network`` answer links as
    ``up`` (RFC 9083 §4.2), if it links one."""
    links = answer.get("links")
    if not isinstance(links, list):
        return None
    for relation in _UP_RELATIONS:
        for link in links:
            if not isinstance(link, Mapping) or link.get("rel") != relation:
                continue
            href = link.get("href")
            if isinstance(href, str) and href.startswith(("https://", "http://")):
                return href
    return None


def covers(answer: Mapping[str, Any], address: str) -> bool:
    """Whether an ``ip network`` answer's range (RFC 9083 §5.4 ``startAddress`` to
    ``endAddress``) holds ``address``: a parent that does not is not the address's registry."""
    if answer.get("objectClassName") != "ip network":
        return False
    try:
        first = ipaddress.ip_address(str(answer.get("startAddress")))
        last = ipaddress.ip_address(str(answer.get("endAddress")))
        wanted = ipaddress.ip_address(address)
    except ValueError:
        return False
    same = first.version == last.version == wanted.version
    return same and int(first) <= int(wanted) <= int(last)


def registry_fallback(
    child: Mapping[str, Any], parent: Mapping[str, Any], source: str
) -> tuple[AbuseContact, ...]:
    """The ``abuse`` role contacts of the covering network ``parent`` (from ``source``),
    each saying that the network ``child`` names no abuse contact of its own."""
    child_handle = str(child.get("handle") or "the network")
    parent_handle = str(parent.get("handle") or "its parent")
    return tuple(
        replace(
            c,
            reason=(
                f"{child_handle} names no abuse role; registry fallback to the covering "
                f"network {parent_handle} ('up' link, RFC 9083 §4.2): {c.reason}"
            ),
        )
        for c in ip_abuse_contacts(parent, source)
        if "abuse" in c.roles
    )
