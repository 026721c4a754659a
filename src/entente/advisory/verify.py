"""Check an advisory package offline and name every file or check that fails.

The checks of evidence packages (``evidence.verify``), each reported on its own: the DSSE
signatures against the trust root and its m-of-n threshold, every file's SHA-256 against the
signed Statement, then the advisory's own: the Statement is an advisory's, the bundle is valid
STIX 2.1 (``entente.stix``) and holds the one ``report`` the Statement names with every object
it references. The trust root is the recipient's when given (the co-authors' keys, known out
of band), else the package's own, which proves integrity but not who signed.
"""

from __future__ import annotations

import orjson

from entente.advisory.package import BUNDLE, ENVELOPE, PREDICATE_TYPE, TRUST
from entente.errors import EntenteError, InvalidInput
from entente.evidence import TrustRoot
from entente.evidence.tarball import read_tar
from entente.evidence.verify import (
    Report,
    check_digests,
    check_signatures,
    check_stix_bundle,
)

__all__ = ["verify_advisory"]


def _trust(
    report: Report, files: dict[str, bytes], given: TrustRoot | None, threshold: int | None
) -> TrustRoot | None:
    trust = given
    if trust is None:
        try:
            trust = TrustRoot.from_json(orjson.loads(files[TRUST]))
        except (KeyError, orjson.JSONDecodeError, EntenteError) as exc:
            report.add(TRUST, f"no usable trust root: {exc}")
            return None
    if threshold is not None and threshold != trust.threshold:
        try:
            trust = TrustRoot(trust.keys, threshold, trust.node_keyid)
        except InvalidInput as exc:
            report.add("threshold", str(exc))
            return None
    return trust


def _report_object(report: Report, files: dict[str, bytes], report_id: object) -> None:
    subject = f"{BUNDLE} report"
    try:
        objects = orjson.loads(files[BUNDLE]).get("objects") or []
    except (KeyError, orjson.JSONDecodeError, AttributeError):
        report.add(subject, "no readable bundle")
        return
    reports = [o for o in objects if isinstance(o, dict) and o.get("type") == "report"]
    ids = {o.get("id") for o in objects if isinstance(o, dict)}
    if len(reports) != 1 or reports[0].get("id") != report_id:
        report.add(subject, "the bundle does not hold the one report the Statement names")
        return
    missing = [ref for ref in reports[0].get("object_refs") or () if ref not in ids]
    if missing:
        report.add(subject, f"object_refs not in the bundle: {', '.join(map(str, missing[:5]))}")
        return
    report.add(subject, None, f"{report_id} with its {len(ids) - 1} objects")


def verify_advisory(
    package: bytes, trust: TrustRoot | None = None, *, threshold: int | None = None
) -> Report:
    """Every check on ``package``; ``report.passed`` only if all pass.

    ``trust``: the recipient's trust root (else the package's ``trust.json``); ``threshold``:
    how many of its keys must have signed (else the trust root's own threshold)."""
    report = Report()
    try:
        files = read_tar(package)
    except EntenteError as exc:
        report.add("package", str(exc))
        return report
    root = _trust(report, files, trust, threshold)
    statement = None
    if root is not None:
        statement, _ = check_signatures(report, files, root)
    if statement is not None and statement.get("predicateType") != PREDICATE_TYPE:
        report.add(ENVELOPE, f"the Statement is not an advisory's ({PREDICATE_TYPE})")
        statement = None
    if statement is not None:
        check_digests(report, files, statement, unsigned={ENVELOPE})
        predicate = statement.get("predicate")
        _report_object(
            report, files, predicate.get("report_id") if isinstance(predicate, dict) else None
        )
    else:
        report.add("file digests", "not checked: the Statement is not validly signed")
    check_stix_bundle(report, files, BUNDLE)
    return report
