"""SQL for the exchange list (the TUI's), built as plain strings.

The list is "the exchanges view": every column of the `exchanges` table (tokens, response
status, time to first token and findings included: stored per exchange at ingest, see
addon/store/migrations_list) plus the columns computed per exchange: cost (prices change, so
it is priced when read, a join with the small prices table) and thread. A page is fetched in
two steps: first the ids of one page (`ids_sql`), over the `exchanges` table alone when the
filter and the sort need no computed column (milliseconds on a million rows), else over the
view with only the joins they need; then the displayed columns for those ids only
(`rows_sql`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..prices import priced_ctes
from ..sql_text import literal
from .common import TOKEN_FIELDS, in_ids

# The list's columns beyond the table's, and the joined part that provides each. Tokens, the
# response status, time to first token and findings are columns of `exchanges` itself
# (migrations_list): a sort or filter by them reads that table alone.
COMPUTED: dict[str, str] = {"cost_usd": "cost", "thread_id": "thread"}
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


# What an exchange's cost is computed from (prices.priced_ctes' columns, and what says which
# way it is priced): a narrow relation, which the pricing joins carry cheaply.
PRICED_BY = ("exchange_id", "endpoint", "response_count", "response_model", "host",
             "started_at", "service_tier", "input_tokens", "cached_tokens",
             "cache_write_tokens", "output_tokens", "reasoning_tokens")  # fmt: skip


def cost_sql(ids: Sequence[str] | None = None) -> str:
    """exchange_id -> cost_usd of every exchange (of `ids`): its responses' cost summed, NULL
    where one has no price (unknown model, no rate for its tier) and for token counts
    (input_tokens endpoint). An exchange with one response is priced from its own row (its
    stored tokens, `response_model` and `service_tier`) by the usage view's SQL
    (prices.priced_ctes: host, tier, day and input band minded), so the list and `respdeck
    usage` agree with no join of `responses`; one with several (a WebSocket session),
    response by response."""
    return f"""
        WITH list_rows AS (SELECT {", ".join(PRICED_BY)} FROM exchanges WHERE true {in_ids(ids)}),
        {priced_ctes("list_rows", model="response_model")}
        SELECT p.exchange_id,
               CASE WHEN p.endpoint = 'responses.input_tokens' THEN NULL
                    WHEN p.response_count > 1 THEN m.cost_usd ELSE p.cost_usd END AS cost_usd
        FROM priced p LEFT JOIN ({several_cost_sql(ids)}) m USING (exchange_id)
    """


def cost_view_sql(ids: Sequence[str] | None = None) -> str:
    """`exchanges` (of `ids`) with `cost_usd`. The cost is priced over the few columns it
    needs and joined back by id: carrying every column of a million rows through the pricing
    joins took twice as long."""
    return (
        f"SELECT e.*, c.cost_usd FROM exchanges e LEFT JOIN ({cost_sql(ids)}) c "
        f"USING (exchange_id) WHERE true {in_ids(ids, 'e.exchange_id')}"
    )


def several_cost_sql(ids: Sequence[str] | None = None) -> str:
    """The cost of each exchange with several responses, priced one response at a time."""
    return f"""
        WITH resp AS (
            SELECT r.*, e.started_at, e.host
            FROM responses r JOIN exchanges e USING (exchange_id)
            WHERE e.response_count > 1 {in_ids(ids, "e.exchange_id")}
        ),
        {priced_ctes("resp")}
        SELECT exchange_id, sum(cost_usd) AS cost_usd FROM priced GROUP BY exchange_id
    """


def thread_sql(threads: str = "threads") -> str:
    """response_id -> thread_id; `threads` may name a temporary copy of the view."""
    return f"SELECT response_id, any_value(thread_id) AS thread_id FROM {threads} GROUP BY 1"


def thread_map_sql(table: str) -> str:
    """A temporary copy of the threads view (recursive over every response): made once, not
    once per page."""
    return f"CREATE OR REPLACE TEMP TABLE {table} AS {thread_sql()}"


def view_sql(parts: set[str], ids: Sequence[str] | None = None, threads: str = "threads") -> str:
    """The exchanges view: every column of `exchanges`, with the computed parts asked for."""
    source = (
        cost_view_sql(ids)
        if "cost" in parts
        else f"SELECT * FROM exchanges WHERE true {in_ids(ids)}"
    )
    if "thread" not in parts:
        return source
    return (
        "SELECT e.*, coalesce(th.thread_id, e.conversation_id, e.response_id, "
        f"{literal(NO_THREAD)} || e.exchange_id) AS thread_id FROM ({source}) e "
        f"LEFT JOIN ({thread_sql(threads)}) th ON th.response_id = e.response_id"
    )


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
    view = view_sql({"cost"}, ids)
    fields = ", ".join(f"x.{f}" for f in ROW_FIELDS if f != "capture_source")
    return (
        f"SELECT {fields}, c.source AS capture_source FROM ({view}) x "
        "LEFT JOIN captures c USING (capture_id)"
    )
