"""Which exchanges a command acts on (export, and later cassettes): the ids a filter, a
capture or a list of named ids select, in recorded order (capture start, then `seq`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..sql_text import literal
from .common import id_list


def selection_sql(
    where: str | None = None, capture_id: str | None = None, ids: Sequence[str] | None = None
) -> str:
    """Exchange ids (text) matching all that is given, in recorded order; provisional rows of
    streams still in flight (`position` < 0) are left out. `where` is the user's SQL over the
    exchanges columns, as the browser's filter is."""
    clauses = ["e.position >= 0"]
    if where and where.strip():
        clauses.append(f"({where})")
    if capture_id is not None:
        clauses.append(f"e.capture_id = {literal(capture_id)}")
    if ids is not None:
        clauses.append(f"e.exchange_id IN {id_list(ids)}")
    return (
        "SELECT e.exchange_id::VARCHAR FROM exchanges e "
        "LEFT JOIN captures c USING (capture_id) "
        f"WHERE {' AND '.join(clauses)} ORDER BY c.started_at, e.capture_id, e.seq"
    )
