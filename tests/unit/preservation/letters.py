"""Builders for preservation tests: a contact, a complete request, and a PDF's text."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

from entente.preservation import Contact, DataItem, PreservationRequest, new_request

__all__ = ["CONTACT", "complete", "operator_text", "pdftotext"]

CONTACT = Contact("NL", "Team High Tech Crime, Netherlands Police", "24-7@example.nl",
                  "+31 70 000 0000")  # fmt: skip
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj")


def complete(**changes: object) -> PreservationRequest:
    """A request with all six elements, ``changes`` applied to ``new_request``'s arguments."""
    fields: dict[str, object] = {
        "reference": "PR-2026-001",
        "case_id": "grouping--00000000-0000-4000-8000-000000000001",
        "date": "2026-12-05",
        "addressee": CONTACT,
        "requesting_authority": "CERT-X, Ministry of Justice of Ruritania",
        "offence": "Illegal access (Budapest Convention Art. 2)",
        "facts": "Intrusions into ministry mail servers in November 2026.",
        "data": (
            DataItem(
                "ipv4-addr",
                "203.0.113.7",
                "indicator--00000000-0000-4000-8000-000000000002",
                "2026-11-01T00:00:00Z",
                "2026-11-20T12:00:00Z",
            ),
        ),
        "data_link": "The address served the intruders' command and control.",
        "custodian": "Example Hosting B.V., Amsterdam (AS64500)",
        "necessity": "The provider rotates its connection logs after 30 days.",
        "signatory": "J. Doe, Head of CERT-X",
    }
    fields.update(changes)
    return new_request(**fields)  # type: ignore[arg-type]  # keyword arguments as a dict


def operator_text(pdf: bytes) -> str:
    """The text a PDF of ``evidence.pdf`` shows: its ``(...) Tj`` strings, one per line
    (the writer's streams are not compressed; a compressed one is inflated first)."""
    lines: list[str] = []
    for stream in re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S):
        body = stream if b"Tj" in stream else zlib.decompress(stream)
        for raw in _STRING.findall(body):
            text = re.sub(rb"\\(.)", rb"\1", raw)
            lines.append(text.decode("latin-1"))
    return "\n".join(lines)


def pdftotext(pdf: bytes, tmp: Path) -> str | None:
    """The text poppler's ``pdftotext`` reads from ``pdf``; None when it is not installed."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    path = tmp / "letter.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")
