"""Check an evidence package offline and name every file or check that fails.

Checks, each reported on its own so one failure does not hide another: the envelope's
signatures against ``trust.json`` and its threshold (DSSE protocol.md: verify PAE), every
file's SHA-256 against the Statement (in-toto v1 ``subject``), the RFC 3161 token over the
node's signature (§2.4.2) and the node's seal over the timestamp files, the custody chain,
CASE validity (``case_validate``, passed in as ``case_validator``) and STIX 2.1 validity
(``entente.stix``). The trust root comes from the package; a recipient who knows the node's
key passes it as ``expected_node_key``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import orjson

from entente.errors import EntenteError, InvalidInput
from entente.evidence import dsse, layout
from entente.evidence.custody import chain_problems
from entente.evidence.model import TrustRoot
from entente.evidence.tarball import read_tar
from entente.evidence.timestamp import check_token
from entente.evidence.writer import seal_payload
from entente.federation.keys import PublicKey
from entente.stix.objects import parse_object

__all__ = [
    "CaseValidator",
    "Check",
    "Report",
    "check_digests",
    "check_signatures",
    "check_stix_bundle",
    "verify_package",
]

# A JSON-LD document in -> None when it conforms, else what case_validate said.
CaseValidator = Callable[[bytes], "str | None"]


@dataclass(frozen=True, slots=True)
class Check:
    """One check: what it covers (a file or a check's name), whether it passed, and why not."""

    subject: str
    passed: bool
    detail: str = ""


@dataclass(slots=True)
class Report:
    """Every check made on a package."""

    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every check passed (and there was at least one)."""
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if not check.passed]

    def add(self, subject: str, problem: str | None, detail: str = "") -> None:
        """Record a check: ``problem`` is ``None`` when it passed."""
        self.checks.append(Check(subject, problem is None, problem or detail))


def _signatures(
    report: Report, files: dict[str, bytes], expected: PublicKey | None
) -> tuple[dict[str, Any] | None, TrustRoot | None, bytes | None]:
    """The Statement (if the threshold is met), the trust root and the node's signature."""
    try:
        trust = TrustRoot.from_json(orjson.loads(files[layout.TRUST]))
    except (KeyError, orjson.JSONDecodeError, EntenteError) as exc:
        report.add(layout.TRUST, f"no usable trust root: {exc}")
        return None, None, None
    node = trust.key(trust.node_keyid)
    if expected is not None and node is not None and node.public_key != expected:
        report.add(layout.TRUST, "the node key is not the one expected")
    statement, node_signature = check_signatures(report, files, trust)
    return statement, trust, node_signature


def check_signatures(
    report: Report, files: dict[str, bytes], trust: TrustRoot
) -> tuple[dict[str, Any] | None, bytes | None]:
    """Check the envelope (``statement.intoto.json``) against ``trust``: every signature by a
    named key and valid, the node's among them, at least ``trust.threshold`` distinct keys.

    Returns the Statement when all of that holds (else None) and the node's signature."""
    try:
        payload, signatures = dsse.read_envelope(files[layout.ENVELOPE])
    except KeyError:
        report.add(layout.ENVELOPE, "missing")
        return None, None
    except EntenteError as exc:
        report.add(layout.ENVELOPE, str(exc))
        return None, None
    message = dsse.pae(dsse.PAYLOAD_TYPE, payload)
    valid: set[str] = set()
    node_signature: bytes | None = None
    problems = []
    for keyid, signature in signatures:
        key = trust.key(keyid)
        if key is None:
            problems.append(f"signature by unknown key {keyid[:16]}")
        elif not key.public_key.verify(signature, message):
            problems.append(f"signature of {key.name} does not verify")
        else:
            valid.add(keyid)
            if keyid == trust.node_keyid:
                node_signature = signature
    if node_signature is None:
        problems.append("no valid signature of the node")
    if len(valid) < trust.threshold:
        problems.append(f"{len(valid)} valid signatures, the trust root needs {trust.threshold}")
    report.add(
        f"{layout.ENVELOPE} signatures",
        "; ".join(problems) or None,
        f"{len(valid)} of {len(trust.keys)} keys signed, threshold {trust.threshold}",
    )
    try:
        statement = orjson.loads(payload)
        if statement.get("_type") != dsse.STATEMENT_TYPE:
            raise InvalidInput("not an in-toto Statement v1")
    except (orjson.JSONDecodeError, AttributeError, InvalidInput) as exc:
        report.add(layout.ENVELOPE, f"payload: {exc}")
        return None, node_signature
    return (statement if not problems else None), node_signature


def check_digests(
    report: Report,
    files: dict[str, bytes],
    statement: dict[str, Any],
    unsigned: Collection[str] = layout.UNSIGNED,
) -> None:
    """Each file's SHA-256 against the Statement's ``subject``; a file neither listed nor
    ``unsigned`` (made after the Statement) fails, as does a listed file that is missing."""
    listed: dict[str, str] = {}
    for item in statement.get("subject", []):
        if isinstance(item, dict) and isinstance(item.get("digest"), dict):
            listed[str(item.get("name"))] = str(item["digest"].get("sha256"))
    for name in sorted(set(files) | set(listed)):
        if name in unsigned:
            continue
        if name not in files:
            report.add(name, "listed in the Statement but missing from the package")
        elif name not in listed:
            report.add(name, "in the package but not listed in the Statement")
        elif hashlib.sha256(files[name]).hexdigest() != listed[name]:
            report.add(name, "SHA-256 does not match the signed Statement")
        else:
            report.add(name, None, "SHA-256 matches")


def _timestamp(report: Report, files: dict[str, bytes], node_signature: bytes | None) -> None:
    # The token and the certificates that check it are judged together: either may be bad.
    subject = f"{layout.TOKEN} with {layout.TSA_CHAIN}"
    if layout.TOKEN not in files or layout.TSA_CHAIN not in files:
        report.add(subject, "the timestamp token or the TSA certificates are missing")
        return
    if node_signature is None:
        report.add(subject, "no valid node signature to check the timestamp against")
        return
    try:
        when = check_token(files[layout.TOKEN], node_signature, files[layout.TSA_CHAIN])
    except InvalidInput as exc:
        report.add(subject, str(exc))
        return
    report.add(subject, None, f"time-stamped {when}")


def _seal(report: Report, files: dict[str, bytes], trust: TrustRoot | None) -> None:
    subject = f"{layout.SEAL} over {layout.TOKEN} and {layout.TSA_CHAIN}"
    node = trust.key(trust.node_keyid) if trust is not None else None
    if node is None:
        report.add(subject, "no trusted node key to check the seal with")
        return
    try:
        payload, signatures = dsse.read_envelope(files[layout.SEAL], dsse.SEAL_TYPE)
    except KeyError:
        report.add(subject, "missing")
        return
    except EntenteError as exc:
        report.add(subject, str(exc))
        return
    message = dsse.pae(dsse.SEAL_TYPE, payload)
    if (
        not any(
            keyid == node.keyid and node.public_key.verify(signature, message)
            for keyid, signature in signatures
        )
        or len(signatures) != 1
    ):
        report.add(subject, "not signed by the node's key alone")
        return
    token, chain = files.get(layout.TOKEN, b""), files.get(layout.TSA_CHAIN, b"")
    if payload != seal_payload(token, chain):
        report.add(subject, "the timestamp files are not the ones the node sealed")
        return
    report.add(subject, None, "sealed by the node")


def _custody(report: Report, files: dict[str, bytes], statement: dict[str, Any] | None) -> None:
    try:
        entries = [orjson.loads(line) for line in files[layout.CUSTODY].splitlines() if line]
    except KeyError:
        report.add(f"{layout.CUSTODY} chain", "missing")
        return
    except orjson.JSONDecodeError as exc:
        report.add(f"{layout.CUSTODY} chain", f"not JSON lines: {exc}")
        return
    problems = chain_problems(entries)
    if statement is not None:
        predicate = statement.get("predicate") or {}
        head = entries[-1].get("hash") if entries and isinstance(entries[-1], dict) else None
        if predicate.get("custody_entries") != len(entries):
            problems.append(
                f"{len(entries)} entries, the Statement says {predicate.get('custody_entries')}"
            )
        if predicate.get("custody_head") != head:
            problems.append("the last entry is not the head the Statement names")
    report.add(f"{layout.CUSTODY} chain", "; ".join(problems) or None, f"{len(entries)} entries")


def check_stix_bundle(
    report: Report, files: dict[str, bytes], name: str = layout.STIX_BUNDLE
) -> None:
    """The bundle file ``name``: JSON, a STIX bundle, each object valid STIX 2.1."""
    subject = f"{name} STIX 2.1"
    try:
        bundle = orjson.loads(files[name])
    except KeyError:
        report.add(subject, "missing")
        return
    except orjson.JSONDecodeError as exc:
        report.add(subject, f"not JSON: {exc}")
        return
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        report.add(subject, "not a STIX bundle")
        return
    problems = []
    for obj in bundle.get("objects") or []:
        try:
            parse_object(obj)
        except InvalidInput as exc:
            problems.append(f"{obj.get('id') if isinstance(obj, dict) else obj!r}: {exc}")
    report.add(subject, "; ".join(problems) or None, f"{len(bundle.get('objects') or [])} objects")


def verify_package(
    package: bytes,
    *,
    case_validator: CaseValidator,
    expected_node_key: PublicKey | None = None,
) -> Report:
    """Every check on ``package``; ``report.passed`` only if all pass."""
    report = Report()
    try:
        files = read_tar(package)
    except EntenteError as exc:
        report.add("package", str(exc))
        return report
    statement, trust, node_signature = _signatures(report, files, expected_node_key)
    if statement is not None:
        check_digests(report, files, statement)
    else:
        report.add("file digests", "not checked: the Statement is not validly signed")
    _timestamp(report, files, node_signature)
    _seal(report, files, trust)
    _custody(report, files, statement)
    if layout.CASE in files:
        problem = case_validator(files[layout.CASE])
        report.add(f"{layout.CASE} CASE", problem, "case_validate: conforms")
    else:
        report.add(f"{layout.CASE} CASE", "missing")
    check_stix_bundle(report, files)
    return report
