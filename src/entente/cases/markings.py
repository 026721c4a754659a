"""The markings of a case made from others: never less restrictive than any of them."""

from __future__ import annotations

from collections.abc import Sequence

from entente.stix import Tlp, marking_id_for, tlp_of

__all__ = ["merged_markings"]


def merged_markings(originals: Sequence[tuple[str, ...]], default: Tlp) -> tuple[str, ...]:
    """The ``object_marking_refs`` of a merged case, from those of its ``originals``.

    The merged case holds every original's tasks and references, so it reads as the most
    restrictive of them: one TLP marking, the strictest level among the originals (one with
    no TLP marking counts as the node's ``default``, which is what the policy reads it as),
    and every other marking of any original (statement markings add conditions, STIX 2.1
    §7.2.1.3).
    """
    levels: list[Tlp] = []
    others: dict[str, None] = {}
    for refs in originals:
        found = [level for ref in refs if (level := tlp_of(ref)) is not None]
        levels.append(max(found) if found else default)
        others.update((ref, None) for ref in refs if tlp_of(ref) is None)
    return (marking_id_for(max(levels, default=default)), *others)
