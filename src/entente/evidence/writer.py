"""Build an evidence package: the files, the signed Statement, the timestamp, the tar.

Everything but the timestamp is a pure function of the input and the keys (Ed25519 signatures
are deterministic, RFC 8032 §5.1.6), so the same input, keys and TSA answer give the same
bytes. The TSA is the one call out, passed in as ``timestamper`` (request bytes -> response).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from entente.errors import InvalidInput
from entente.evidence import dsse, layout
from entente.evidence.case_graph import case_document
from entente.evidence.custody import chain_problems
from entente.evidence.model import EvidenceInput, TrustRoot, key_id
from entente.evidence.pdf import render_pdf
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.timestamp import timestamp_request
from entente.federation.keys import NodeKey
from entente.stix.objects import parse_object
from entente.stix.timestamps import parse_timestamp

__all__ = [
    "Timestamper",
    "build_package",
    "check_input",
    "cosign",
    "package_files",
    "predicate",
    "seal",
    "seal_payload",
    "sign_package",
]

Timestamper = Callable[[bytes], bytes]
_BUNDLE_NAMESPACE = uuid.UUID("0d7f4c8e-2b1a-4f5e-8c3d-9a6b1e2f3c4d")


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def _artifact_name(name: str) -> str:
    if not name or "/" in name or name in (".", ".."):
        raise InvalidInput(f"artifact name {name!r} must be a plain file name")
    return layout.ARTIFACTS + name


def package_files(evidence: EvidenceInput, trust: TrustRoot) -> dict[str, bytes]:
    """The files the Statement lists, by name."""
    numbers = [exhibit.number for exhibit in evidence.exhibits]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("exhibit numbers must be unique")
    for exhibit in evidence.exhibits:
        if exhibit.artifact not in evidence.artifacts:
            raise InvalidInput(f"exhibit {exhibit.number}: no artifact {exhibit.artifact!r}")
    for action in evidence.actions:
        for number in action.exhibits:
            if number not in numbers:
                raise InvalidInput(f"action {action.name!r}: no exhibit {number!r}")
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(_BUNDLE_NAMESPACE, evidence.case_id)}",
        "objects": sorted(
            (dict(obj) for obj in evidence.stix_objects),
            key=lambda obj: (str(obj.get("id")), str(obj.get("modified"))),
        ),
    }
    files = {
        layout.CASE: case_document(evidence),
        layout.STIX_BUNDLE: _json(bundle),
        layout.CUSTODY: b"".join(
            orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) + b"\n" for entry in evidence.custody
        ),
        layout.REPORT_MD: evidence.report_markdown.encode("utf-8"),
        layout.REPORT_PDF: render_pdf(evidence.report_markdown),
        layout.TRUST: _json(trust.to_json()),
    }
    for name, data in evidence.artifacts.items():
        files[_artifact_name(name)] = data
    return files


def check_input(evidence: EvidenceInput) -> None:
    """Refuse, before anything is signed, an input whose package could not verify.

    A broken custody chain or an invalid STIX object would be signed and then fail every
    recipient's check: the caller learns it now, and nothing is made (InvalidInput).
    """
    # STIX 2.1 §3.2 timestamps (RFC 3339, UTC, "Z"): what xsd:dateTime in case.jsonld accepts.
    parse_timestamp(evidence.created, "created")
    for action in evidence.actions:
        parse_timestamp(action.start_time, f"action {action.name!r} start_time")
        parse_timestamp(action.end_time, f"action {action.name!r} end_time")
    problems = chain_problems(list(evidence.custody))
    if problems:
        raise InvalidInput("custody log: " + "; ".join(problems))
    for obj in evidence.stix_objects:
        parse_object(dict(obj))


def predicate(evidence: EvidenceInput) -> dict[str, Any]:
    """The Statement's predicate: what the package is of, for whom, and its custody head."""
    head = evidence.custody[-1].get("hash") if evidence.custody else None
    return {
        "case_id": evidence.case_id,
        "title": evidence.title,
        "case_type": evidence.case_type,
        "recipient": evidence.recipient,
        "agreement_id": evidence.authorization.agreement_id,
        "created": evidence.created,
        "custody_entries": len(evidence.custody),
        "custody_head": head,
        "exhibits": {exhibit.number: exhibit.artifact for exhibit in evidence.exhibits},
    }


def build_package(
    evidence: EvidenceInput,
    *,
    node_key: NodeKey,
    trust: TrustRoot,
    timestamper: Timestamper,
    tsa_chain_pem: bytes,
    cosigners: Iterable[NodeKey] = (),
) -> bytes:
    """The package's tar bytes: signed by the node (and ``cosigners``) and timestamped."""
    check_input(evidence)
    return sign_package(
        package_files(evidence, trust),
        predicate(evidence),
        node_key=node_key,
        trust=trust,
        timestamper=timestamper,
        tsa_chain_pem=tsa_chain_pem,
        cosigners=cosigners,
    )


def sign_package(
    files: dict[str, bytes],
    about: dict[str, Any],
    *,
    node_key: NodeKey,
    trust: TrustRoot,
    timestamper: Timestamper,
    tsa_chain_pem: bytes,
    cosigners: Iterable[NodeKey] = (),
) -> bytes:
    """``files`` listed in a signed Statement (predicate ``about``), timestamped, sealed, tarred."""
    if key_id(node_key.public_key) != trust.node_keyid:
        raise InvalidInput("the node's key is not the trust root's node key")
    files = dict(files)
    payload = dsse.statement(files, about)
    node_signature = dsse.sign(node_key, payload)
    signatures = [node_signature] + [dsse.sign(key, payload) for key in cosigners]
    files[layout.ENVELOPE] = dsse.envelope(payload, signatures)
    # RFC 3161 over the node's signature octets: it proves the signature existed by then.
    files[layout.TOKEN] = timestamper(timestamp_request(base64.b64decode(node_signature["sig"])))
    files[layout.TSA_CHAIN] = tsa_chain_pem
    files[layout.SEAL] = seal(node_key, files[layout.TOKEN], tsa_chain_pem)
    return write_tar(files)


def seal_payload(token: bytes, tsa_chain_pem: bytes) -> bytes:
    """What the node's seal signs: the SHA-256 of the token and of the TSA certificates."""
    return orjson.dumps(
        {
            "token_sha256": hashlib.sha256(token).hexdigest(),
            "tsa_chain_sha256": hashlib.sha256(tsa_chain_pem).hexdigest(),
        },
        option=orjson.OPT_SORT_KEYS,
    )


def seal(node_key: NodeKey, token: bytes, tsa_chain_pem: bytes) -> bytes:
    """The node's DSSE-signed seal over the timestamp files.

    CMS leaves parts of a token unsigned on purpose (the certificates, the SignerInfo's
    version and signatureAlgorithm: RFC 5652 §5.1, §5.3), and a verifier may find the TSA's
    certificate in either file; the seal makes a change to any byte of either detectable.
    """
    payload = seal_payload(token, tsa_chain_pem)
    return dsse.envelope(payload, [dsse.sign(node_key, payload, dsse.SEAL_TYPE)], dsse.SEAL_TYPE)


def cosign(package: bytes, key: NodeKey) -> bytes:
    """``package`` with ``key``'s signature added to its envelope (a partner's co-signature).

    The Statement is unchanged, so the node's signature and its timestamp stay valid.
    """
    files = read_tar(package)
    payload, existing = dsse.read_envelope(files[layout.ENVELOPE])
    signatures = [
        {"keyid": keyid, "sig": base64.b64encode(sig).decode("ascii")} for keyid, sig in existing
    ]
    added = dsse.sign(key, payload)
    if added["keyid"] in {entry["keyid"] for entry in signatures}:
        raise InvalidInput("this key has already signed the package")
    files[layout.ENVELOPE] = dsse.envelope(payload, [*signatures, added])
    return write_tar(files)
