"""Diffs of Responses API traffic by what it means: two exchanges, two threads, two captures.

Pure comparison over plain sides (`DiffSide`); `sides` reads them from a store or a file,
and is imported on first use (it needs DuckDB, which the replay server's matching does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .document import diff_exchanges, make_ignore
from .side import DiffSide

if TYPE_CHECKING:
    from .sides import DiffTrouble, Sources, side_from_store, sides_from_store

__all__ = [
    "DiffSide",
    "DiffTrouble",
    "Sources",
    "diff_exchanges",
    "make_ignore",
    "side_from_store",
    "sides_from_store",
]


def __getattr__(name: str) -> Any:
    if name in ("DiffTrouble", "Sources", "side_from_store", "sides_from_store"):
        from . import sides

        return getattr(sides, name)
    raise AttributeError(name)
