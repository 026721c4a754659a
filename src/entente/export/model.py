"""What every export renderer takes and gives: indicator values ready for the edge, and what was
left out with the reason. Renderers are pure: ``render(items, context) -> Rendered``."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "ExportContext",
    "ExportItem",
    "ItemKind",
    "ItemOp",
    "LeftOut",
    "LeftOutReason",
    "Rendered",
]


class ItemKind(enum.StrEnum):
    """What an item's value is (the same kinds, spelled the same, as the matcher's terms)."""

    IP = "ip"  # an IPv4 or IPv6 address, or a CIDR block with op IN_NETWORK
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    JA3 = "ja3"
    JA3S = "ja3s"
    JA4 = "ja4"


class ItemOp(enum.StrEnum):
    """How the value applies: the value itself, a block of addresses, or a name's subdomains."""

    EQUALS = "equals"
    IN_NETWORK = "in_network"  # value is a canonical CIDR block "10.0.0.0/8", "2001:db8::/32"
    SUBDOMAIN = "subdomain"  # every strict subdomain of value (not value itself)


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One value of one indicator, normalised (``entente.matching.values``), scored.

    An indicator with several values gives several items with the same ``indicator_id``.
    ``tlp`` is the indicator's TLP label (``clear``, ``green``, ``amber``, ``amber+strict``;
    RED never reaches a renderer).
    """

    indicator_id: str
    kind: ItemKind
    op: ItemOp
    value: str
    score: int  # 0-100
    name: str | None = None
    labels: tuple[str, ...] = ()
    tlp: str | None = None
    created_by_ref: str | None = None
    modified: str | None = None  # the indicator version's STIX timestamp


class LeftOutReason(enum.StrEnum):
    """Why an item is not in an export."""

    WARNINGLIST = "warninglist"  # the value is on a warninglist and not explicitly allowed
    SCORE = "score"  # below --min-score
    UNSUPPORTED = "unsupported"  # the format cannot express this kind or op
    POLICY = "policy"  # the sharing policy does not let the caller read the indicator
    NOT_DEPLOYABLE = "not_deployable"  # the pattern is outside what values can express


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An indicator value (or a whole indicator) an export does not contain, and why."""

    indicator_id: str
    reason: LeftOutReason
    # Human words, e.g. "on warninglist 'List of known IPv4 public DNS resolvers' (8.8.8.8/32)".
    detail: str
    kind: ItemKind | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What a renderer may put in headers and metadata besides the items (all deterministic)."""

    generated_at: str  # STIX timestamp of the export, e.g. "2026-11-26T12:00:00.000Z"
    producer: str  # the node's org name, for comments and metadata
    serial: int  # a zone/feed serial that grows with the data (e.g. the export's epoch seconds)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered export: its bytes, its media type and file name, and what it left out."""

    body: bytes
    media_type: str
    filename: str
    count: int  # items (or merged entries) written
    left_out: tuple[LeftOut, ...] = ()
