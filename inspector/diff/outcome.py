"""What an exchange cost and how long it took, side by side: a, b and b - a for each number
(usage and cost from the store's usage view, timings from the stored chunk and event times),
stream event counts by type, and the finding codes each side has that the other has not."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .side import TIMING_FIELDS, USAGE_FIELDS, DiffSide


def delta(a: float | int | None, b: float | int | None) -> dict[str, Any]:
    """`{a, b, delta}`; delta None unless both are known (costs rounded to a nano-dollar)."""
    change = None
    if a is not None and b is not None:
        change = b - a
        if isinstance(change, float):
            change = round(change, 9)
    return {"a": a, "b": b, "delta": change}


def diff_outcome(a: DiffSide, b: DiffSide) -> dict[str, Any]:
    events = sorted(set(a.events) | set(b.events))
    fa, fb = Counter(a.findings), Counter(b.findings)
    return {
        "usage": {f: delta(a.usage.get(f), b.usage.get(f)) for f in USAGE_FIELDS},
        "timing": {f: delta(a.timing.get(f), b.timing.get(f)) for f in TIMING_FIELDS},
        "events": {t: delta(a.events.get(t, 0), b.events.get(t, 0)) for t in events},
        "findings": {
            "a": sorted(fa.elements()),
            "b": sorted(fb.elements()),
            "added": sorted((fb - fa).elements()),
            "removed": sorted((fa - fb).elements()),
        },
    }


def _sum(sides: Sequence[DiffSide], part: str, name: str) -> float | int | None:
    known = [v for s in sides if (v := getattr(s, part).get(name)) is not None]
    return sum(known) if known else None


def totals(a: Sequence[DiffSide], b: Sequence[DiffSide]) -> dict[str, Any]:
    """`{usage, timing}` summed over every side of a and of b (a thread's turns, a capture's
    exchanges), each number `{a, b, delta}`; a side that does not know a number adds nothing."""
    return {
        part: {n: delta(_sum(a, part, n), _sum(b, part, n)) for n in names}
        for part, names in (("usage", USAGE_FIELDS), ("timing", TIMING_FIELDS))
    }
