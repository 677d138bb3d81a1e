"""Diffs of Responses API traffic by what it means: two exchanges, two threads, two captures.

Pure comparison over plain sides (`DiffSide`); `sides` reads them from a store or a file.
"""

from __future__ import annotations

from .document import diff_exchanges, make_ignore
from .side import DiffSide
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
