"""Exports for the edge: one pure renderer per target, and the registry of format names.

Every renderer has one signature, ``render(items, context) -> Rendered`` (``model``): values
in, bytes out, no I/O. What a format cannot express is returned as ``LeftOut`` with the
reason, never dropped silently. ``RENDERERS`` names each format as the CLI (``entente export
FORMAT``) and the HTTP feeds (``/feeds/FORMAT``) spell it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    LeftOutReason,
    Rendered,
)

from entente.export import csv, lists, nftables, rpz, stix, suricata, yara, zeek  # isort: skip

__all__ = [
    "RENDERERS",
    "CompanionFunction",
    "ExportContext",
    "ExportItem",
    "ItemKind",
    "ItemOp",
    "LeftOut",
    "LeftOutReason",
    "RenderFunction",
    "Rendered",
    "Renderer",
]

RenderFunction = Callable[[Sequence[ExportItem], ExportContext], Rendered]
"""What every renderer is: ``render(items, context) -> Rendered``."""

CompanionFunction = Callable[[Sequence[ExportItem], ExportContext], Mapping[str, bytes]]
"""Files a format's main file refers to, for the same items: file name -> contents."""


@dataclass(frozen=True, slots=True)
class Renderer:
    """A format: its name, what it is for, its render function, media type and file name.

    ``media_type`` and ``filename`` are what the function puts in ``Rendered`` (a test holds
    them to it); they are here so that callers can name them before rendering anything.
    ``companions``, where the format has them, gives the files the main file refers to
    (Suricata's dataset and hash-list files), to be written beside it.
    """

    name: str
    description: str
    render: RenderFunction
    media_type: str
    filename: str
    companions: CompanionFunction | None = None


_TEXT: Final = "text/plain; charset=utf-8"

RENDERERS: Final[Mapping[str, Renderer]] = MappingProxyType(
    {
        renderer.name: renderer
        for renderer in (
            Renderer(
                "suricata",
                "Suricata 7 rules on addresses, DNS names, TLS SNI, HTTP URLs, hashes, JA3; "
                "with their dataset and hash-list files",
                suricata.render,
                suricata.MEDIA_TYPE,
                "entente.rules",
                suricata.render_datasets,
            ),
            Renderer(
                "zeek",
                "Zeek Intel framework file (tab-separated, #fields header)",
                zeek.render,
                zeek.MEDIA_TYPE,
                "entente.intel",
            ),
            Renderer(
                "rpz",
                "DNS Response Policy Zone (BIND master file): NXDOMAIN for names and addresses",
                rpz.render,
                rpz.MEDIA_TYPE,
                "entente.rpz.zone",
            ),
            Renderer(
                "nftables",
                "nftables script: interval sets of IPv4/IPv6 addresses and a drop chain",
                nftables.render,
                _TEXT,
                "entente.nft",
            ),
            Renderer(
                "edl-addresses",
                "External dynamic list of IP addresses and CIDR blocks, one per line",
                lists.render_addresses,
                _TEXT,
                "entente-addresses.txt",
            ),
            Renderer(
                "edl-domains",
                "External dynamic list of domains, one per line (*.name for subdomains)",
                lists.render_domains,
                _TEXT,
                "entente-domains.txt",
            ),
            Renderer(
                "edl-urls",
                "External dynamic list of URLs without scheme, one per line",
                lists.render_urls,
                _TEXT,
                "entente-urls.txt",
            ),
            Renderer(
                "csv",
                "CSV, one row per value, with score, labels, TLP and the indicator's id",
                csv.render,
                "text/csv; charset=utf-8; header=present",
                "entente-indicators.csv",
            ),
            Renderer(
                "stix",
                "STIX 2.1 bundle of indicators, one per value, with the score",
                stix.render,
                stix.MEDIA_TYPE,
                "entente-bundle.json",
            ),
            Renderer(
                "yara",
                "YARA rules matching files by MD5, SHA-1 or SHA-256 (the hash module)",
                yara.render,
                yara.MEDIA_TYPE,
                "entente.yar",
            ),
        )
    }
)
"""The export formats by name."""
