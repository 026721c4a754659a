"""What an abuse report is about: an IP address or a DNS name, read from an indicator's value."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from entente.errors import InvalidInput

__all__ = ["Target", "TargetKind", "parse_target", "rdap_path"]

_MAX_NAME = 253  # RFC 1035 §2.3.4, less the final dot


class TargetKind(enum.StrEnum):
    """The two kinds of resource RDAP answers for abuse: networks (by address) and domains."""

    IP = "ip"
    DOMAIN = "domain"


@dataclass(frozen=True, slots=True)
class Target:
    """An IP address (canonical text) or a lower-case DNS name without the final dot."""

    kind: TargetKind
    value: str


def parse_target(text: str) -> Target:
    """An address (a CIDR block: its first address), a DNS name, an e-mail address (its
    domain) or a URL (its host) as a target; ``InvalidInput`` for anything else."""
    value = text.strip()
    if "://" in value:
        host = urlsplit(value).hostname
        if not host:
            raise InvalidInput(f"{text!r}: a URL with no host")
        value = host
    elif "@" in value:
        value = value.rpartition("@")[2]
    try:
        # A block (an indicator on a CIDR) is reported by its network address; RDAP
        # answers with the registered network that holds it.
        return Target(
            TargetKind.IP,
            str(ipaddress.ip_network(value.strip("[]"), strict=False).network_address),
        )
    except ValueError:
        pass
    name = value.rstrip(".").lower()
    labels = name.split(".")
    if (
        len(labels) < 2
        or len(name) > _MAX_NAME
        or not all(0 < len(label) <= 63 for label in labels)
        or not all(c.isalnum() or c in "-_" for label in labels for c in label)
    ):
        raise InvalidInput(f"{text!r} is neither an IP address nor a DNS name")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidInput(f"{text!r}: not a valid internationalised name: {exc}") from None
    return Target(TargetKind.DOMAIN, name)


def rdap_path(target: Target) -> str:
    """The RDAP lookup path of a target, relative to a base URL (RFC 9082 §3.1.1, §3.1.3)."""
    return f"{target.kind.value}/{target.value}"
