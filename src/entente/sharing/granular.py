"""Granular markings (STIX 2.1 §7.2.3): which content a selector names, and copies without it.

A granular marking applies a marking-definition to parts of an object named by selectors
(§7.2.3.1): property names joined by ``.``, with ``[n]`` for the n-th item of a list, as in
``description``, ``labels.[1]`` or ``kill_chain_phases.[0].phase_name``. A reader who may
not see content under a granular marking gets a copy without the selected content
(``strip_selected``); the copy's own ``granular_markings`` then name only what is left, at
its new place, so that neither the removed content nor where it was can be read from them.

Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeAlias

from entente.stix.markings import GranularMarking, granular_markings_of

__all__ = [
    "UNSTRIPPABLE",
    "GranularMarking",
    "granular_markings_of",
    "parse_selector",
    "strip_selected",
]

Path: TypeAlias = tuple[str | int, ...]

# Properties whose removal cannot leave a faithful copy: the common required properties
# (STIX 2.1 §3.2), and the markings themselves (removing a marking would widen what it
# restricts: architecture §2, markings are never widened by anyone but the creator). An
# object a reader may not see any of these of is withheld whole.
UNSTRIPPABLE: Final = frozenset(
    {
        "id",
        "type",
        "spec_version",
        "created",
        "modified",
        "object_marking_refs",
        "granular_markings",
    }
)


def parse_selector(selector: str) -> Path | None:
    """``"a.[0].b"`` as ``("a", 0, "b")``; ``None`` when it is not a §7.2.3.1 selector."""
    steps: list[str | int] = []
    for part in selector.split("."):
        if not part:
            return None
        if part.startswith("[") and part.endswith("]"):
            digits = part[1:-1]
            if not (digits.isascii() and digits.isdigit()) or not steps:
                return None
            steps.append(int(digits))
        elif "[" in part or "]" in part:
            return None
        else:
            steps.append(part)
    return tuple(steps)


class _Pruner:
    """Copies an object without the content at some paths, recording where list items went."""

    def __init__(self, removed: set[Path]) -> None:
        self.removed = removed
        # Prefixes of removed paths: only containers on these are copied, the rest is shared.
        self.touched = {path[:n] for path in removed for n in range(len(path))}
        # Old path of a list -> {old index: new index} for lists whose items moved.
        self.moves: dict[Path, dict[int, int]] = {}
        # Paths of containers removed because they became empty.
        self.emptied: set[Path] = set()

    def prune(self, value: Any, path: Path) -> Any:
        """``value`` (found at ``path``) without the removed content; ``_GONE`` if none is left."""
        if path in self.removed:
            return _GONE
        if path not in self.touched:
            return value
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                pruned = self.prune(item, (*path, key))
                if pruned is not _GONE:
                    kept[key] = pruned
            if not kept and path:
                # STIX 2.1 §2: an empty dictionary or list is not a valid value.
                self.emptied.add(path)
                return _GONE
            return kept
        if isinstance(value, list):
            items: list[Any] = []
            moves: dict[int, int] = {}
            for index, item in enumerate(value):
                pruned = self.prune(item, (*path, index))
                if pruned is not _GONE:
                    moves[index] = len(items)
                    items.append(pruned)
            self.moves[path] = moves
            if not items:
                self.emptied.add(path)
                return _GONE
            return items
        return value

    def relocate(self, path: Path) -> Path | None:
        """Where content at ``path`` of the original is in the copy; ``None`` if removed."""
        out: list[str | int] = []
        for depth, step in enumerate(path):
            prefix = path[:depth]
            if prefix in self.removed or prefix in self.emptied:
                return None
            if isinstance(step, int) and prefix in self.moves:
                moved = self.moves[prefix].get(step)
                if moved is None:
                    return None
                out.append(moved)
            else:
                out.append(step)
        if path in self.removed or path in self.emptied:
            return None
        return tuple(out)


class _Gone:
    """Marks content that is left out of a copy."""


_GONE: Final = _Gone()


def _render(path: Path) -> str:
    return ".".join(f"[{step}]" if isinstance(step, int) else step for step in path)


def strip_selected(obj: Mapping[str, Any], selectors: Iterable[str]) -> dict[str, Any] | None:
    """A copy of ``obj`` without the content ``selectors`` name; ``None`` if it cannot be made.

    ``None`` when a selector names a property in ``UNSTRIPPABLE`` or is not a §7.2.3.1
    selector (what it covers cannot be told, so it cannot be removed: fail closed). A selector
    naming nothing present removes nothing. Lists and dictionaries left empty are removed
    (STIX 2.1 §2 forbids empty ones), and the copy's ``granular_markings`` keep only the
    selectors of what is left, re-pointed to where it now is.
    """
    removed: set[Path] = set()
    for selector in selectors:
        path = parse_selector(selector)
        if path is None or path[0] in UNSTRIPPABLE:
            return None
        removed.add(path)
    pruner = _Pruner(removed)
    copy = pruner.prune(dict(obj), ())
    assert isinstance(copy, dict)  # the root is never removed: no selector is empty
    entries = obj.get("granular_markings")
    if isinstance(entries, list):
        kept_entries = []
        for entry in entries:
            if not isinstance(entry, dict):
                kept_entries.append(entry)
                continue
            kept_selectors = []
            for selector in entry.get("selectors", ()):
                path = parse_selector(selector) if isinstance(selector, str) else None
                moved = None if path is None else pruner.relocate(path)
                if moved is not None:
                    kept_selectors.append(_render(moved))
            if kept_selectors:
                kept_entries.append({**entry, "selectors": kept_selectors})
        if kept_entries:
            copy["granular_markings"] = kept_entries
        else:
            copy.pop("granular_markings", None)
    return copy
