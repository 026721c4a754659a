"""The audit log and custody logs: hash-chained entries, signed checkpoints, a verifier."""

from entente.audit.chain import Appended, ChainHead, extend
from entente.audit.checkpoints import (
    CHECKPOINT_TYPE,
    Checkpoint,
    Signer,
    Verifier,
    checkpoint_message,
    sign_checkpoint,
)
from entente.audit.entries import (
    CHANNELS,
    GENESIS_HASH,
    MAX_OBJECT_IDS,
    NODE_CHAIN,
    Actor,
    Entry,
    EntryDraft,
    case_chain,
    hash_body,
    parse_entry,
)
from entente.audit.times import parse_since
from entente.audit.verify import EntryRecord, Failure, Verdict, verify_chain

__all__ = [
    "CHANNELS",
    "CHECKPOINT_TYPE",
    "GENESIS_HASH",
    "MAX_OBJECT_IDS",
    "NODE_CHAIN",
    "Actor",
    "Appended",
    "ChainHead",
    "Checkpoint",
    "Entry",
    "EntryDraft",
    "EntryRecord",
    "Failure",
    "Signer",
    "Verdict",
    "Verifier",
    "case_chain",
    "checkpoint_message",
    "extend",
    "hash_body",
    "parse_entry",
    "parse_since",
    "sign_checkpoint",
    "verify_chain",
]
