"""The audit log service: the node's log and per-case custody logs on one store and one key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.audit import NODE_CHAIN, Actor, EntryDraft, case_chain
from entente.bootstrap import Node, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.federation import generate_key
from entente.services.audit_log import AuditLog

INVESTIGATOR = Actor("user--ines", "identity--a", "analyst")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as opened:
        yield opened


def log_of(node: Node, every: int = 256) -> AuditLog:
    trusted = {node.key.public_key_text: node.key.public_key}
    return AuditLog(node.audit, node.key, node.clock, trusted=trusted, every=every)


def custody(action: str, *objects: str) -> EntryDraft:
    return EntryDraft(INVESTIGATOR, action, "ui", objects, "amber", ("agreement--x",))


def test_a_custody_log_is_a_chain_of_its_own_with_every_entry_signed(node: Node) -> None:
    log = log_of(node)
    log.record_custody("incident--1", [custody("acquired", "artifact--1")])
    log.record_custody("incident--1", [custody("viewed", "artifact--1")])
    log.record_custody("incident--2", [custody("exported", "artifact--9")])
    log.record([custody("read", "artifact--1")])
    assert list(log.chains()) == [case_chain("incident--1"), case_chain("incident--2"), NODE_CHAIN]
    one = log.verify(case_chain("incident--1"))
    assert (one.ok, one.entries_checked, one.checkpoints_checked) == (True, 2, 2)
    node_log = log.verify()
    assert node_log.ok and node_log.signed_through == 0
    assert log.checkpoint() is not None
    assert log.checkpoint() is None  # nothing new to sign
    assert log.verify().signed_through == 1


def test_checkpoints_come_every_so_many_entries(node: Node) -> None:
    log = log_of(node, every=3)
    for i in range(7):
        log.record([custody("read", f"artifact--{i}")])
    assert [c.seq for c in node.audit.checkpoints(NODE_CHAIN)] == [3, 6]


def test_a_log_signed_by_another_key_fails_against_this_nodes_key(node: Node) -> None:
    stranger = generate_key()
    forger = AuditLog(node.audit, stranger, node.clock, trusted={}, every=1)
    forger.record([custody("read", "artifact--1")])
    verdict = log_of(node).verify()
    assert verdict.failure is not None
    assert verdict.failure.subject == "checkpoint"
    assert stranger.public_key_text in verdict.failure.reason


def test_no_drafts_append_nothing(node: Node) -> None:
    log = log_of(node)
    assert log.record([]) == ()
    assert log.record_custody("incident--1", []) == ()
    assert log.checkpoint() is None
    with pytest.raises(ValueError):
        log_of(node, every=0)
