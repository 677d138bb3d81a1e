"""The list's columns as the table draws them: the view column each shows, its label and width.
(The list's SQL is the store's: addon.store.queries.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the column's name in the exchanges view (what a filter names)
    label: str
    width: int  # 0: shares the width left over
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("started_at", "time", 14),
    Column("endpoint", "endpoint", 0),
    Column("model", "model", 0),
    Column("status", "st", 3, True),
    Column("input_tokens", "in", 7, True),
    Column("cached_tokens", "cached", 7, True),
    Column("output_tokens", "out", 6, True),
    Column("reasoning_tokens", "reason", 6, True),
    Column("cost_usd", "cost $", 8, True),
    Column("ttft_ms", "ttft", 6, True),
    Column("duration_ms", "dur", 6, True),
    Column("findings", "!", 2, True),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
