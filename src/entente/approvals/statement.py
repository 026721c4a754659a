"""An approval's signed statement: an in-toto Statement v1 in a DSSE envelope (Ed25519).

The statement names the request (subject ``name``) and the SHA-256 of exactly what will be
sent (subject ``digest``, in-toto v1/statement.md), and its predicate says who decided what,
for which action, when. The approving node's key signs PAE(payloadType, payload) (DSSE
protocol.md), reusing ``entente.evidence.dsse``; the payload is RFC 8785 canonical JSON, so
the fields of a stored approval can be checked byte for byte against what was signed.
"""

from __future__ import annotations

from collections.abc import Mapping

from entente.approvals.model import Approval, Request, Verdict
from entente.errors import MalformedDocument
from entente.evidence import dsse
from entente.evidence.model import key_id
from entente.federation.keys import NodeKey, PublicKey
from entente.stix import canonical_json, format_timestamp_us

__all__ = ["PREDICATE_TYPE", "check_signature", "sign_approval", "statement"]

PREDICATE_TYPE = "urn:entente:approval:v1"


def statement(request: Request, approval: Approval) -> bytes:
    """The canonical Statement ``approval`` stands for, on ``request``'s action type."""
    document = {
        "_type": dsse.STATEMENT_TYPE,
        "subject": [{"name": approval.request_id, "digest": {"sha256": approval.digest}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "action_type": request.action_type.value,
            # To whom and in what form: a request whose targets change needs new approvals.
            "targets": list(request.targets),
            "media_type": request.media_type,
            "verdict": approval.verdict.value,
            "approver": approval.approver,
            "approver_org": approval.approver_org,
            "approver_role": approval.approver_role,
            "time": format_timestamp_us(approval.time_us),
            "comment": approval.comment,
        },
    }
    return canonical_json(document)


def sign_approval(
    key: NodeKey,
    request: Request,
    *,
    verdict: Verdict,
    approver: str,
    approver_org: str,
    approver_role: str,
    time_us: int,
    comment: str = "",
) -> Approval:
    """``approver``'s decision on ``request`` as it stands now, signed by the node's ``key``."""
    unsigned = Approval(
        request_id=request.id,
        digest=request.digest,
        verdict=verdict,
        approver=approver,
        approver_org=approver_org,
        approver_role=approver_role,
        time_us=time_us,
        envelope=b"",
        comment=comment,
    )
    payload = statement(request, unsigned)
    signed = dsse.envelope(payload, [dsse.sign(key, payload)])
    return Approval(
        request_id=unsigned.request_id,
        digest=unsigned.digest,
        verdict=verdict,
        approver=approver,
        approver_org=approver_org,
        approver_role=approver_role,
        time_us=time_us,
        envelope=signed,
        comment=comment,
    )


def check_signature(
    approval: Approval, request: Request, org_keys: Mapping[str, PublicKey]
) -> str | None:
    """Why ``approval`` is not a valid signature by its org's node (None: it is).

    The envelope must verify under the key this node knows for ``approver_org`` (its own
    or a partner's): an approval that claims an org is signed by that org's node, and a key
    nobody configured signs nothing that counts. Its payload must be exactly the statement
    of the approval's fields and the request's action, targets and media type, so a stored
    field changed since, or a request sent elsewhere since, does not verify.
    """
    key = org_keys.get(approval.approver_org)
    if key is None:
        return f"no node key is known for {approval.approver_org}"
    try:
        payload, signatures = dsse.read_envelope(approval.envelope)
    except MalformedDocument as exc:
        return str(exc)
    wanted = key_id(key)
    message = dsse.pae(dsse.PAYLOAD_TYPE, payload)
    if not any(keyid == wanted and key.verify(sig, message) for keyid, sig in signatures):
        return f"no valid signature by the node key of {approval.approver_org}"
    if payload != statement(request, approval):
        return "what was signed is not this approval of this request (changed since)"
    return None
