"""Driving several local ``entente`` nodes at once: what the federation and coalition benches share.

The nodes themselves are ``entente.cli.local_nodes`` (each its own home and ``entente serve``
process on 127.0.0.1); this module runs their commands in parallel and wires partners up in
rounds, so that no node ever runs two commands at the same time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from entente.cli.local_nodes import LocalNode

__all__ = [
    "cache_bytecode",
    "in_parallel",
    "init_under",
    "log",
    "make_partners",
    "partner_rounds",
]

_T = TypeVar("_T")
_R = TypeVar("_R")


def log(message: str) -> None:
    """Progress on stderr, with the time of day."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def in_parallel(job: Callable[[_T], _R], items: Sequence[_T], workers: int = 0) -> list[_R]:
    """``job`` for every item (threads driving separate processes); errors re-raised.

    ``workers`` bounds how many run at once (0: all of them).
    """
    width = workers if workers > 0 else len(items)
    with ThreadPoolExecutor(max_workers=max(1, width)) as pool:
        return list(pool.map(job, items))


def init_under(node: LocalNode, *agreements: dict[str, Any]) -> None:
    """``entente init`` the node, then add each of ``agreements`` to it."""
    node.init()
    for agreement in agreements:
        node.add_agreement(agreement)


def cache_bytecode(work: Path) -> None:
    """Let the ``entente`` processes started from here cache their compiled bytecode.

    With ``PYTHONDONTWRITEBYTECODE`` set (as in some sandboxes), every command would compile
    all its imports again: seconds per command that an installed node never pays. The cache
    goes under ``work``, which is removed at exit, and nothing is written into the sources.
    """
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


def make_partners(
    pairs: Sequence[tuple[LocalNode, LocalNode]],
    workers: int = 0,
    cards: Mapping[str, Path] | None = None,
) -> None:
    """``LocalNodes.partner(reader, source)`` for each pair, in two parallel steps.

    First every source issues a token and writes its card (unless ``cards``, by org, has it
    already), then every reader adds its source: no node runs two commands at once, as long
    as no node is the source (or the reader) of two pairs.
    """
    for side in (0, 1):
        if len({id(pair[side]) for pair in pairs}) != len(pairs):
            raise ValueError("a node may be the reader, and the source, of one pair at most")

    def issue(pair: tuple[LocalNode, LocalNode]) -> tuple[str, Path]:
        reader, source = pair
        known = None if cards is None else cards.get(source.org)
        return source.issue_partner_token(reader.org), known or source.card()

    issued = in_parallel(issue, pairs, workers)

    def add(at: int) -> None:
        token, card = issued[at]
        pairs[at][0].cli("partner", "add", "--card", str(card), "--token", token)

    in_parallel(add, range(len(pairs)), workers)


def partner_rounds(
    pairs: Sequence[tuple[_T, _T]],
) -> list[list[tuple[_T, _T]]]:
    """Split ``(reader, source)`` pairs into rounds ``make_partners`` accepts, greedily.

    In each round a node is the reader of one pair at most and the source of one at most;
    every pair lands in exactly one round, in the order given.
    """
    rounds: list[list[tuple[_T, _T]]] = []
    readers: list[set[int]] = []
    sources: list[set[int]] = []
    for pair in pairs:
        reader, source = id(pair[0]), id(pair[1])
        for at, chosen in enumerate(rounds):
            if reader not in readers[at] and source not in sources[at]:
                chosen.append(pair)
                readers[at].add(reader)
                sources[at].add(source)
                break
        else:
            rounds.append([pair])
            readers.append({reader})
            sources.append({source})
    return rounds
