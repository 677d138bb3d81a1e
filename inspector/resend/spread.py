"""`--times N`: how N answers to one request spread, in tokens, latency and output (pure over
the diff's sides, so every number is the one the store's SQL gives)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from inspector.diff.response import output_text
from inspector.diff.side import DiffSide

TOKENS = ("input_tokens", "output_tokens", "reasoning_tokens", "total_tokens")
LATENCY = ("ttft_ms", "duration_ms")


def _range(values: Sequence[float | int | None]) -> dict[str, float | int | None]:
    known = sorted(v for v in values if v is not None)
    if not known:
        return {"min": None, "median": None, "max": None}
    return {"min": known[0], "median": statistics.median(known), "max": known[-1]}


def spread(original: DiffSide, sent: Sequence[DiffSide]) -> dict[str, Any]:
    """Min, median and max of each count and time over the sends, and how their outputs
    agree: `agree` is the size of the largest group of equal `output_text`s, `distinct`
    the number of groups, `same_as_original` how many equal the recorded one."""
    texts = [output_text(s.response) for s in sent]
    groups = Counter(texts)
    recorded = output_text(original.response)
    return {
        "sends": len(sent),
        "tokens": {f: _range([s.usage.get(f) for s in sent]) for f in TOKENS},
        "latency": {f: _range([s.timing.get(f) for s in sent]) for f in LATENCY},
        "outputs": {
            "agree": max(groups.values(), default=0),
            "distinct": len(groups),
            "same_as_original": sum(1 for t in texts if t == recorded),
        },
    }


def _number(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def spread_lines(doc: dict[str, Any]) -> list[str]:
    """The spread as a small table: one line per measure, min / median / max."""
    rows = [(name, r) for name, r in doc["tokens"].items()]
    rows += [(name, r) for name, r in doc["latency"].items()]
    width = max(len(name) for name, _ in rows)
    lines = [f"spread over {doc['sends']} sends".ljust(width + 2) + "     min   median      max"]
    for name, r in rows:
        cells = "".join(_number(r[k]).rjust(9) for k in ("min", "median", "max"))
        lines.append(f"{name.ljust(width + 2)}{cells}")
    out = doc["outputs"]
    lines.append(
        f"outputs: {out['agree']} of {doc['sends']} agree ({out['distinct']} distinct); "
        f"{out['same_as_original']} the same as the original"
    )
    return lines
