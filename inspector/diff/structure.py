"""Structural changes between two JSON values, as `{path, op, a, b}` entries, by deepdiff.

Paths are dotted (`reasoning.effort`, `text.format.schema.properties.city`, `include[1]`);
`op` is `changed`, `added` (only in b) or `removed` (only in a), and an absent side is left
out of the entry (a JSON null is a value). Long changed texts also get a word diff (`diff`).
What is ignored is decided by an `Ignore`: exact paths, their subtrees, and `*` patterns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from .words import is_prose, word_pieces

Change = dict[str, Any]

_ADDED = {"dictionary_item_added", "iterable_item_added", "attribute_added", "set_item_added"}
_REMOVED = {
    "dictionary_item_removed",
    "iterable_item_removed",
    "attribute_removed",
    "set_item_removed",
}


def dotted(parts: Iterable[object], start: str = "") -> str:
    """`['text', 'format', 0]` as `text.format[0]`."""
    out = start
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class Ignore:
    """Paths a diff leaves out. A pattern matches a path, the subtree under it, and (written
    without a section) the same path in the request, the response or an item."""

    patterns: tuple[str, ...] = ()
    strict: bool = False  # compare everything: volatile fields and item ids included
    volatile: frozenset[str] = field(default_factory=frozenset)

    def ignores(self, path: str, section: str = "") -> bool:
        """Whether `path` (relative to `section`: request, response or an item) is left out."""
        if not self.strict and _matches(path, self.volatile):
            return True
        full = f"{section}.{path}" if section else path
        return _matches(path, self.patterns) or _matches(full, self.patterns)


def _matches(path: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if path == pattern or path.startswith((pattern + ".", pattern + "[")):
            return True
        if "*" in pattern and (fnmatchcase(path, pattern) or fnmatchcase(path, pattern + ".*")):
            return True
    return False


def changes(a: Any, b: Any, ignore: Ignore, section: str = "", start: str = "") -> list[Change]:
    """What differs between a and b, in deepdiff's report order, ignored paths left out."""
    if a == b:
        return []
    report = DeepDiff(a, b, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    found: list[Change] = []
    for kind, levels in report.items():
        for level in levels:
            path = dotted(level.path(output_format="list"), start)
            if ignore.ignores(path, section):
                continue
            op = "added" if kind in _ADDED else "removed" if kind in _REMOVED else "changed"
            found.append(entry(path, op, level.t1, level.t2))
    found.sort(key=lambda c: _order(c["path"]))
    return found


def entry(path: str, op: str, a: Any, b: Any) -> Change:
    """One change; a side that is not there is left out (`a` of an addition)."""
    out: Change = {"path": path, "op": op}
    if not isinstance(a, NotPresent) and op != "added":
        out["a"] = a
    if not isinstance(b, NotPresent) and op != "removed":
        out["b"] = b
    if op == "changed" and is_prose(a, b):
        out["diff"] = word_pieces(a, b)
    return out


def _order(path: str) -> tuple[object, ...]:
    """Paths in document order: names as text, list indexes as numbers."""
    key: list[object] = []
    for part in path.replace("[", ".[").split("."):
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            key.append((1, int(part[1:-1]), ""))
        else:
            key.append((0, 0, part))
    return tuple(key)
