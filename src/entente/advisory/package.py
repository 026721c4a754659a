"""An advisory package: the STIX bundle, the Markdown, the PDF, the trust root and a DSSE
envelope over an in-toto Statement naming the SHA-256 of each, co-signed m-of-n.

The envelope and trust root are the evidence packages' (``evidence.dsse``, ``evidence.model``,
ADR 0016) under the same file names, so a co-author co-signs with ``evidence.writer.cosign``
and the same checks verify both; only the Statement's ``predicateType`` and the files differ.
The tar is deterministic (``evidence.tarball``), and Ed25519 is too (RFC 8032 §5.1.6): the same
advisory and keys give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import orjson

from entente.advisory.model import Advisory
from entente.advisory.render import render_markdown, render_pdf
from entente.errors import InvalidInput, MalformedDocument
from entente.evidence import TrustedKey, TrustRoot, dsse, layout
from entente.evidence.model import key_id
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.writer import cosign
from entente.federation.keys import NodeKey

__all__ = [
    "BUNDLE",
    "ENVELOPE",
    "MARKDOWN",
    "PDF",
    "PREDICATE_TYPE",
    "SIGNED",
    "STATEMENT_MEDIA_TYPE",
    "TRUST",
    "build_package",
    "cosign_package",
    "package_files",
    "read_predicate",
    "read_statement",
    "trust_root",
]

BUNDLE: Final = "advisory.json"
MARKDOWN: Final = "advisory.md"
PDF: Final = "advisory.pdf"
TRUST: Final = layout.TRUST
ENVELOPE: Final = layout.ENVELOPE
SIGNED: Final = frozenset({BUNDLE, MARKDOWN, PDF, TRUST})
PREDICATE_TYPE: Final = "urn:entente:joint-advisory:v1"
# The Statement's media type (the DSSE payloadType of in-toto's envelope layer).
STATEMENT_MEDIA_TYPE: Final = dsse.PAYLOAD_TYPE


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def trust_root(author: TrustedKey, coauthors: Sequence[TrustedKey]) -> TrustRoot:
    """The advisory's trust root: the author and every co-author, each of whom must sign
    (issue 15: "a joint advisory needs each co-author agency")."""
    keys = (author, *coauthors)
    return TrustRoot(keys, len(keys), author.keyid)


def package_files(advisory: Advisory, trust: TrustRoot) -> dict[str, bytes]:
    """The files the Statement lists, by name."""
    bundle = {
        "type": "bundle",
        "id": "bundle--" + advisory.report_id.partition("--")[2],
        "objects": [dict(obj) for obj in advisory.objects],
    }
    return {
        BUNDLE: _json(bundle),
        MARKDOWN: render_markdown(advisory).encode("utf-8"),
        PDF: render_pdf(advisory),
        TRUST: _json(trust.to_json()),
    }


def _predicate(advisory: Advisory) -> dict[str, Any]:
    draft = advisory.draft
    return {
        "report_id": advisory.report_id,
        "title": draft.title,
        "created": draft.created,
        "tlp": advisory.tlp.label,
        "author": {"org_id": draft.author.org_id, "name": draft.author.name},
        "coauthors": [{"org_id": a.org_id, "name": a.name} for a in draft.coauthors],
        "attack_releases": list(advisory.releases),
        "case_id": draft.case_id,
    }


def build_package(advisory: Advisory, *, author_key: NodeKey, trust: TrustRoot) -> bytes:
    """The package's tar, signed by the author node (the co-authors sign it after)."""
    if key_id(author_key.public_key) != trust.node_keyid:
        raise InvalidInput("the author's key is not the trust root's node key")
    files = package_files(advisory, trust)
    payload = dsse.statement(files, _predicate(advisory), PREDICATE_TYPE)
    files[ENVELOPE] = dsse.envelope(payload, [dsse.sign(author_key, payload)])
    return write_tar(files)


def read_statement(package: bytes) -> bytes:
    """The signed Statement of an advisory package, byte for byte, unverified.

    What approvals bind: it names the SHA-256 of every file, and co-signing adds signatures
    to the envelope without changing it, so one approval holds for every co-signed copy."""
    files = read_tar(package)
    if ENVELOPE not in files:
        raise MalformedDocument(f"not an advisory package: no {ENVELOPE}")
    payload, _ = dsse.read_envelope(files[ENVELOPE])
    return payload


def read_predicate(package: bytes) -> dict[str, Any]:
    """The Statement's predicate of an advisory package (what it says it is), unverified."""
    payload = read_statement(package)
    try:
        statement = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"the envelope's payload is not JSON: {exc}") from exc
    if not isinstance(statement, dict) or statement.get("predicateType") != PREDICATE_TYPE:
        raise MalformedDocument(f"not an advisory package: predicateType is not {PREDICATE_TYPE}")
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        raise MalformedDocument("the Statement has no predicate")
    return predicate


def cosign_package(package: bytes, key: NodeKey) -> bytes:
    """``package`` with a co-author's signature added (``evidence.writer.cosign``).

    Only a key the package's trust root names may co-sign: a signature by any other key would
    make every verification fail (DSSE signatures by unknown keys are refused)."""
    read_predicate(package)
    try:
        trust = TrustRoot.from_json(orjson.loads(read_tar(package)[TRUST]))
    except (KeyError, orjson.JSONDecodeError) as exc:
        raise MalformedDocument(f"the package has no readable {TRUST}") from exc
    if trust.key(key_id(key.public_key)) is None:
        raise InvalidInput("this node's key is not among the advisory's co-authors' keys")
    return cosign(package, key)
