"""SQL for the exchange list (the TUI's), built as plain strings.

The list is "the exchanges view": every column of the `exchanges` table plus columns computed
per exchange (tokens, cost, time to first token, findings, thread). A page is fetched in two
steps: first the ids of one page (`ids_sql`), over the `exchanges` table alone when the filter
and the sort need no computed column (milliseconds on a million rows), else over the view with
only the joins they need; then the displayed columns for those ids only (`rows_sql`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..prices import priced_ctes
from ..sql_text import literal
from .common import TOKEN_FIELDS, in_ids

# Stream events whose first arrival is "the first token".
TTFT_WHERE = "ends_with(type, '.delta') AND NOT from_client"

# Computed columns and the joined part that provides each.
COMPUTED: dict[str, str] = {
    **dict.fromkeys(TOKEN_FIELDS, "tokens"),
    "cost_usd": "cost",
    "response_status": "tokens",
    "ttft_ms": "ttft",
    "findings": "findings",
    "worst_severity": "findings",
    "thread_id": "thread",
}
GROUPS = ("none", "capture", "thread")
PAGE_SIZE = 100  # rows fetched at a time
NO_THREAD = "exchange "  # the thread id of an exchange in none: this, then its own id


@dataclass(frozen=True, slots=True)
class ListSpec:
    """What the list shows: filter, search, order and grouping."""

    where: str = ""
    search: str = ""
    sort: str = "started_at"
    descending: bool = True
    group: str = "none"

    def with_sort(self, key: str) -> ListSpec:
        """Sort by `key`; choosing the current sort column again flips the direction."""
        if key == self.sort:
            return replace(self, descending=not self.descending)
        return replace(self, sort=key, descending=key != "endpoint" and key != "model")


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parts_needed(*texts: str) -> set[str]:
    """The computed parts a filter or sort refers to (by word: a false match only costs time)."""
    words = {w.lower() for text in texts for w in _WORD.findall(text)}
    return {COMPUTED[w] for w in words if w in COMPUTED}


def _token_sums(prefix: str) -> str:
    return ", ".join(f"sum({prefix}.{f}) AS {f}" for f in TOKEN_FIELDS)


def tokens_sql(ids: Sequence[str] | None = None, with_cost: bool = True) -> str:
    """Per exchange: its responses' tokens summed, and their cost (NULL where a response has no
    price: unknown model, or no rate for its tier)."""
    sums = f"{_token_sums('r')}, arg_max(r.status, r.output_tokens IS NOT NULL) AS response_status"
    if not with_cost:
        return (
            f"SELECT r.exchange_id, {sums}, NULL::DOUBLE AS cost_usd FROM responses r "
            f"WHERE true {in_ids(ids, 'r.exchange_id')} GROUP BY r.exchange_id"
        )
    # The cost comes from the same SQL as the `usage` view (prices.priced_ctes): host, tier,
    # day and input band minded, so the list and `respdeck usage` agree.
    return f"""
        WITH resp AS (
            SELECT r.*, e.started_at, e.endpoint, e.host
            FROM responses r JOIN exchanges e USING (exchange_id)
            WHERE true {in_ids(ids, "r.exchange_id")} {in_ids(ids, "e.exchange_id")}
        ),
        {priced_ctes("resp")}
        SELECT r.exchange_id, {sums},
               sum(CASE WHEN r.endpoint <> 'responses.input_tokens' THEN r.cost_usd END)
                   AS cost_usd
        FROM priced r
        GROUP BY r.exchange_id
    """


def ttft_sql(ids: Sequence[str] | None = None) -> str:
    return f"""
        SELECT exchange_id, min(t_ms) AS ttft_ms FROM events
        WHERE {TTFT_WHERE} {in_ids(ids)} GROUP BY exchange_id
    """


def findings_sql(ids: Sequence[str] | None = None) -> str:
    return f"""
        SELECT exchange_id, count(*) AS findings,
               CASE max(CASE severity WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)
                    WHEN 3 THEN 'error' WHEN 2 THEN 'warning' ELSE 'info' END
                   AS worst_severity
        FROM findings WHERE true {in_ids(ids)} GROUP BY exchange_id
    """


def thread_sql(threads: str = "threads") -> str:
    """response_id -> thread_id; `threads` may name a temporary copy of the view."""
    return f"SELECT response_id, any_value(thread_id) AS thread_id FROM {threads} GROUP BY 1"


def thread_map_sql(table: str) -> str:
    """A temporary copy of the threads view (recursive over every response): made once, not
    once per page."""
    return f"CREATE OR REPLACE TEMP TABLE {table} AS {thread_sql()}"


def view_sql(parts: set[str], ids: Sequence[str] | None = None, threads: str = "threads") -> str:
    """The exchanges view with the computed parts asked for (all columns of `exchanges` first)."""
    select = ["e.*"]
    joins = []
    if parts & {"tokens", "cost"}:
        select.append(", ".join(f"t.{f}" for f in (*TOKEN_FIELDS, "cost_usd", "response_status")))
        sql = tokens_sql(ids, with_cost="cost" in parts)
        joins.append(f"LEFT JOIN ({sql}) t USING (exchange_id)")
    if "ttft" in parts:
        select.append("f1.ttft_ms")
        joins.append(f"LEFT JOIN ({ttft_sql(ids)}) f1 USING (exchange_id)")
    if "findings" in parts:
        select.append("coalesce(f2.findings, 0) AS findings, f2.worst_severity")
        joins.append(f"LEFT JOIN ({findings_sql(ids)}) f2 USING (exchange_id)")
    if "thread" in parts:
        select.append(
            "coalesce(th.thread_id, e.conversation_id, e.response_id, "
            f"{literal(NO_THREAD)} || e.exchange_id) AS thread_id"
        )
        joins.append(f"LEFT JOIN ({thread_sql(threads)}) th ON th.response_id = e.response_id")
    where = f"WHERE true {in_ids(ids, 'e.exchange_id')}" if ids is not None else ""
    return f"SELECT {', '.join(select)} FROM exchanges e {' '.join(joins)} {where}"


def group_key(group: str) -> str | None:
    return {"capture": "capture_id", "thread": "thread_id"}.get(group)


def order_by(spec: ListSpec) -> str:
    """Groups in the order of their latest exchange (time, in the chosen direction), then
    rows by the sort column, then by time; the position in the capture and the id last, so
    that pages never overlap (ids are random: never the order itself)."""
    direction = "DESC" if spec.descending else "ASC"
    keys = []
    group = group_key(spec.group)
    if group:
        keys.append(f"group_at {direction} NULLS LAST, {group} {direction}")
    for key in dict.fromkeys((spec.sort, "started_at")):
        if key != "exchange_id":
            keys.append(f"{key} {direction} NULLS LAST")
    keys.append(f"position {direction}, exchange_id {direction}")
    return ", ".join(keys)


def where_sql(spec: ListSpec) -> str:
    """The WHERE clause: the user's filter, and the text search."""
    clauses = []
    if spec.where.strip():
        clauses.append(f"({spec.where})")
    if spec.search.strip():
        clauses.append(
            "exchange_id IN (SELECT exchange_id FROM items "
            f"WHERE contains(lower(text), lower({literal(spec.search.strip())})))"
        )
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def _parts(spec: ListSpec) -> set[str]:
    parts = parts_needed(spec.where, spec.sort)
    if spec.group == "thread":
        parts.add("thread")
    return parts


def ids_sql(spec: ListSpec, offset: int, limit: int, threads: str = "threads") -> str:
    """The exchange ids of one page (plus the group key when grouping), in display order."""
    group = group_key(spec.group)
    extra = ""
    if group:
        at = "max" if spec.descending else "min"
        extra = f", {group}, {at}(started_at) OVER (PARTITION BY {group}) AS group_at"
    return (
        f"SELECT exchange_id{extra} FROM ({view_sql(_parts(spec), threads=threads)}) x "
        f"{where_sql(spec)} ORDER BY {order_by(spec)} LIMIT {int(limit)} OFFSET {int(offset)}"
    )


def count_sql(spec: ListSpec, threads: str = "threads") -> str:
    parts = parts_needed(spec.where)
    return f"SELECT count(*) FROM ({view_sql(parts, threads=threads)}) x {where_sql(spec)}"


# What a row of the list holds, fetched for the ids of one page only.
ROW_FIELDS = (
    "exchange_id",
    "capture_id",
    "started_at",
    "endpoint",
    "method",
    "model",
    "status",
    *TOKEN_FIELDS,
    "cost_usd",
    "ttft_ms",
    "duration_ms",
    "findings",
    "worst_severity",
    "streamed",
    "partial",
    "aborted",
    "error_code",
    "response_id",
    "capture_source",
)


def rows_sql(ids: Sequence[str]) -> str:
    view = view_sql({"tokens", "cost", "ttft", "findings"}, ids)
    fields = ", ".join(f"x.{f}" for f in ROW_FIELDS if f != "capture_source")
    return (
        f"SELECT {fields}, c.source AS capture_source FROM ({view}) x "
        "LEFT JOIN captures c USING (capture_id)"
    )
