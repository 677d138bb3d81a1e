"""Which exchanges a command acts on (export, and later cassettes): the ids a filter, a
capture or a list of named ids select, in recorded order (capture start, then `seq`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..sql_text import literal
from .common import id_list
from .exchange_list import parts_needed, view_sql


def selection_sql(
    where: str | None = None, capture_id: str | None = None, ids: Sequence[str] | None = None
) -> str:
    """Exchange ids (text) matching all that is given, in recorded order; provisional rows of
    streams still in flight (`position` < 0) are left out. `where` is the user's SQL over the
    exchanges view's columns (the table's and the computed `cost_usd`, tokens, `ttft_ms`,
    `findings`, `thread_id`), as the browser's filter is: the same view, joined only with the
    parts it names."""
    clauses = ["position >= 0"]
    if where and where.strip():
        clauses.append(f"({where})")
    if capture_id is not None:
        clauses.append(f"capture_id = {literal(capture_id)}")
    if ids is not None:
        clauses.append(f"exchange_id IN {id_list(ids)}")
    chosen = (  # the user's filter sees the view's columns alone: no captures column clashes
        f"SELECT * FROM ({view_sql(parts_needed(where or ''))}) x WHERE {' AND '.join(clauses)}"
    )
    return (
        f"SELECT e.exchange_id::VARCHAR FROM ({chosen}) e "
        "LEFT JOIN captures c ON c.capture_id = e.capture_id "
        "ORDER BY c.started_at, e.capture_id, e.seq"
    )
