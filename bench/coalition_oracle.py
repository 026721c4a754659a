"""The coalition bench's policy oracle: who may (and who must) end up holding each object.

Written from the rules, not from ``entente.sharing`` (architecture §2; ADR 0002): an object
leaves a node for a partner only under an agreement in force between the two that allows its
TLP level; TLP:RED never leaves; a node passes on what it created freely, and what it received
only as the agreement it was received under allows (``none``: never, ``coalition``: to that
agreement's parties, ``named``: to the orgs it names), never at TLP:AMBER+STRICT; the sender
removes from the copy what the agreements it sends under redact.

Which partner's copy reaches a node first, and under which of several agreements, is a race,
and it decides what the node may pass on. So the oracle explores every *state* a node may
receive an object in (sender, agreement, fields redacted so far) and answers with bounds:

* ``may``: nodes that hold the object in at least one arrival order (holding it anywhere else
  is a violation);
* ``must``: nodes that hold it in every arrival order: reached from a node that surely holds
  it along a link every one of that node's states may send over (missing there is a failure);
* ``hops``: for each ``must`` node, the fewest such links from the origin, which bounds the
  propagation time (hops x interval + 1 s, the issue's bound).

Pure: agreement documents and names in, sets out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "LEVELS",
    "TLP_IDS",
    "Reach",
    "Rules",
    "State",
    "reach",
]

# Least to most restrictive (FIRST TLP 2.0).
LEVELS: Final = ("clear", "green", "amber", "amber+strict", "red")
# The OASIS TLP 2.0 marking-definition ids (STIX 2.1 §7.2.1.4 and the TLP 2.0 extension).
TLP_IDS: Final = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


@dataclass(frozen=True, slots=True)
class State:
    """How a node came to hold an object: from whom, under which agreement, minus what.

    The origin's state has no sender and no agreement.
    """

    node: str
    sender: str | None = None
    agreement: str | None = None
    redacted: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reach:
    """The oracle's answer for one object created at ``origin`` at ``level``."""

    origin: str
    level: str
    # Every state each node may hold the object in.
    states: Mapping[str, frozenset[State]]
    must: frozenset[str]
    # Fewest links from the origin along which the object surely travels, per ``must`` node.
    hops: Mapping[str, int]
    # Fewest links along any path it may travel, per ``may`` node.
    may_hops: Mapping[str, int] = field(default_factory=dict)

    @property
    def may(self) -> frozenset[str]:
        """The nodes that hold the object in some arrival order."""
        return frozenset(self.states)

    def must_lack(self, node: str) -> frozenset[str]:
        """Properties every copy that may reach ``node`` has had removed."""
        held = list(self.states.get(node, ()))
        if not held:
            return frozenset()
        common = set(held[0].redacted)
        for state in held[1:]:
            common &= state.redacted
        return frozenset(common)


class Rules:
    """The agreements, read as the oracle needs them, at one instant."""

    def __init__(self, agreements: Iterable[Mapping[str, Any]], now: str, kind: str) -> None:
        """``now`` is an RFC 3339 UTC timestamp (``...Z``); ``kind`` the object type sent."""
        self._by_id = {str(a["id"]): a for a in agreements}
        self._now = now
        self._kind = kind

    def in_force(self, agreement: Mapping[str, Any]) -> bool:
        """Whether ``now`` is within the agreement's validity dates (``valid_until`` exclusive)."""
        since, until = agreement.get("valid_from"), agreement.get("valid_until")
        # Both are UTC timestamps written the same way, so text order is time order.
        return (since is None or since <= self._now) and (until is None or self._now < until)

    def carrying(self, a: str, b: str, level: str) -> list[Mapping[str, Any]]:
        """Agreements in force binding ``a`` and ``b`` that let an object at ``level`` flow."""
        if level == "red":
            return []  # TLP:RED never leaves the node by sync (architecture §2).
        found = []
        for agreement in self._by_id.values():
            parties = agreement["parties"]
            if a == b or a not in parties or b not in parties or not self.in_force(agreement):
                continue
            if LEVELS.index(level) > LEVELS.index(agreement["max_tlp"]):
                continue
            types = agreement.get("object_types")
            if types is not None and self._kind not in types:
                continue
            found.append(agreement)
        return found

    def may_pass_on(self, state: State, to: str, level: str) -> bool:
        """Whether a node holding the object in ``state`` may send it on to ``to``."""
        if state.agreement is None:
            return True  # its creator's node: the agreement with ``to`` alone decides
        if level == "amber+strict":
            return False  # the recipient org only, never re-shared (FIRST TLP 2.0)
        under = self._by_id.get(state.agreement)
        if under is None or not self.in_force(under):
            return False
        onward = under["onward_sharing"]
        if onward == "none":
            return False
        if onward == "coalition":
            return to in under["parties"]
        return to in onward["named"]

    def sends(self, state: State, to: str, level: str) -> list[State]:
        """The states ``to`` may receive the object in from a node holding it in ``state``."""
        if not self.may_pass_on(state, to, level):
            return []
        carrying = self.carrying(state.node, to, level)
        removed = set(state.redacted)
        for agreement in carrying:
            redact = agreement.get("redact", {})
            removed.update(redact.get(self._kind, ()))
            removed.update(redact.get("*", ()))
        return [
            State(to, state.node, str(agreement["id"]), frozenset(removed))
            for agreement in carrying
        ]


def reach(rules: Rules, links: Sequence[tuple[str, str]], origin: str, level: str) -> Reach:
    """Who may and who must hold an object created at ``origin`` at ``level``."""
    neighbours: dict[str, set[str]] = {}
    for a, b in links:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    start = State(origin)
    # A node keeps the provenance of its first copy, and the first copy comes along a path
    # that visits no node twice (a copy that comes back is a duplicate). So the search runs
    # over (state, nodes on its path); a state reached again with a superset of an earlier
    # path's nodes can go nowhere the earlier one could not, and is dropped.
    paths: dict[State, list[frozenset[str]]] = {start: [frozenset((origin,))]}
    may_hops = {origin: 0}
    queue: deque[tuple[State, frozenset[str]]] = deque([(start, frozenset((origin,)))])
    while queue:
        state, visited = queue.popleft()
        for to in sorted(neighbours.get(state.node, ())):
            if to in visited:
                continue
            onward = visited | {to}
            for received in rules.sends(state, to, level):
                known = paths.setdefault(received, [])
                if any(earlier <= onward for earlier in known):
                    continue
                known.append(onward)
                may_hops.setdefault(to, len(visited))
                queue.append((received, onward))
    states: dict[str, set[State]] = {}
    for state in paths:
        states.setdefault(state.node, set()).add(state)
    # ``must``: breadth first from the origin over links that every state of the sending node
    # may use (or that lead back to where its copy came from, which holds it already), so the
    # first time a node is reached is its fewest sure hops.
    sure = {origin: 0}
    frontier = deque([origin])
    while frontier:
        node = frontier.popleft()
        for to in sorted(neighbours.get(node, ())):
            if to in sure:
                continue
            if all(s.sender == to or rules.sends(s, to, level) for s in states[node]):
                sure[to] = sure[node] + 1
                frontier.append(to)
    return Reach(
        origin=origin,
        level=level,
        states={node: frozenset(held) for node, held in states.items()},
        must=frozenset(sure),
        hops=sure,
        may_hops=may_hops,
    )
