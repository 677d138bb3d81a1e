"""SQL for the exchange list, built as plain strings (no database access here).

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

from addon.store.prices import priced_ctes
from addon.store.sql_text import literal

# Stream events whose first arrival is "the first token".
TTFT_WHERE = "ends_with(type, '.delta') AND NOT from_client"

# Computed columns and the joined part that provides each.
COMPUTED: dict[str, str] = {
    "input_tokens": "tokens",
    "cached_tokens": "tokens",
    "output_tokens": "tokens",
    "reasoning_tokens": "tokens",
    "total_tokens": "tokens",
    "cost_usd": "cost",
    "response_status": "tokens",
    "ttft_ms": "ttft",
    "findings": "findings",
    "worst_severity": "findings",
    "thread_id": "thread",
}
GROUPS = ("none", "capture", "thread")
PAGE_SIZE = 100  # rows fetched at a time


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


def _in_ids(ids: Sequence[int] | None, column: str = "exchange_id") -> str:
    if ids is None:
        return ""
    return f"AND {column} IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"


def tokens_sql(ids: Sequence[int] | None = None, with_cost: bool = True) -> str:
    """Per exchange: its responses' tokens summed, and their cost (NULL where a response has no
    price: unknown model, or no rate for its tier)."""
    where = _in_ids(ids, "r.exchange_id")
    sums = """
        sum(r.input_tokens) AS input_tokens, sum(r.cached_tokens) AS cached_tokens,
        sum(r.output_tokens) AS output_tokens, sum(r.reasoning_tokens) AS reasoning_tokens,
        sum(r.total_tokens) AS total_tokens,
        arg_max(r.status, r.output_tokens IS NOT NULL) AS response_status"""
    if not with_cost:
        return (
            f"SELECT r.exchange_id, {sums}, NULL::DOUBLE AS cost_usd FROM responses r "
            f"WHERE true {where} GROUP BY r.exchange_id"
        )
    # The cost comes from the same SQL as the `usage` view (prices.priced_ctes): host, tier,
    # day and input band minded, so the list and `respdeck usage` agree.
    return f"""
        WITH resp AS (
            SELECT r.*, e.started_at, e.endpoint, e.host
            FROM responses r JOIN exchanges e USING (exchange_id)
            WHERE true {where} {_in_ids(ids, "e.exchange_id")}
        ),
        {priced_ctes("resp")}
        SELECT r.exchange_id, {sums},
               sum(CASE WHEN r.endpoint <> 'responses.input_tokens' THEN r.cost_usd END)
                   AS cost_usd
        FROM priced r
        GROUP BY r.exchange_id
    """


def ttft_sql(ids: Sequence[int] | None = None) -> str:
    return f"""
        SELECT exchange_id, min(t_ms) AS ttft_ms FROM events
        WHERE {TTFT_WHERE} {_in_ids(ids)} GROUP BY exchange_id
    """


def findings_sql(ids: Sequence[int] | None = None) -> str:
    return f"""
        SELECT exchange_id, count(*) AS findings,
               CASE max(CASE severity WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)
                    WHEN 3 THEN 'error' WHEN 2 THEN 'warning' ELSE 'info' END
                   AS worst_severity
        FROM findings WHERE true {_in_ids(ids)} GROUP BY exchange_id
    """


def thread_sql(threads: str = "threads") -> str:
    """response_id -> thread_id; `threads` may name a temporary copy of the view."""
    return f"SELECT response_id, any_value(thread_id) AS thread_id FROM {threads} GROUP BY 1"


def view_sql(parts: set[str], ids: Sequence[int] | None = None, threads: str = "threads") -> str:
    """The exchanges view with the computed parts asked for (all columns of `exchanges` first)."""
    select = ["e.*"]
    joins = []
    if parts & {"tokens", "cost"}:
        select.append(
            "t.input_tokens, t.cached_tokens, t.output_tokens, t.reasoning_tokens, "
            "t.total_tokens, t.cost_usd, t.response_status"
        )
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
            "'exchange ' || e.exchange_id) AS thread_id"
        )
        joins.append(f"LEFT JOIN ({thread_sql(threads)}) th ON th.response_id = e.response_id")
    where = f"WHERE true {_in_ids(ids, 'e.exchange_id')}" if ids is not None else ""
    return f"SELECT {', '.join(select)} FROM exchanges e {' '.join(joins)} {where}"


def group_key(group: str) -> str | None:
    return {"capture": "capture_id", "thread": "thread_id"}.get(group)


def order_by(spec: ListSpec) -> str:
    """Groups in the order of their latest exchange (time, in the chosen direction), then
    rows by the sort column; exchange_id last, so that pages never overlap."""
    direction = "DESC" if spec.descending else "ASC"
    keys = []
    group = group_key(spec.group)
    if group:
        keys.append(f"group_at {direction} NULLS LAST, {group} {direction}")
    if spec.sort != "exchange_id":
        keys.append(f"{spec.sort} {direction} NULLS LAST")
    keys.append(f"exchange_id {direction}")
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
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
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


def rows_sql(ids: Sequence[int]) -> str:
    view = view_sql({"tokens", "cost", "ttft", "findings"}, ids)
    fields = ", ".join(f"x.{f}" for f in ROW_FIELDS if f != "capture_source")
    return (
        f"SELECT {fields}, c.source AS capture_source FROM ({view}) x "
        "LEFT JOIN captures c USING (capture_id)"
    )


def error_text(exc: BaseException) -> str:
    """DuckDB's message without the echo of the (generated) query and its caret."""
    text = str(exc).strip()
    text = re.split(r"\n\s*\nLINE \d+:|\nLINE \d+:", text)[0]
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
