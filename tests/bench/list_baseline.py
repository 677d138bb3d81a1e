"""The exchange list's SQL as it was before migration 9, frozen: the baseline bench_store's
list part measures the stored columns against, in the same run, on the same database.

Tokens, response status, time to first token and findings were computed per exchange by
joining and aggregating `responses`, `events` and `findings`; cost by pricing every response
(prices.priced_ctes over `responses` joined with `exchanges`) and summing per exchange. The
`exchanges` table's own list columns are left out of `e.*` here, so the view is the one an
upgraded database had before (the same columns, computed as they were).
"""

from __future__ import annotations

import re

from addon.store.migrations_list import LIST_COLUMNS
from addon.store.prices import priced_ctes
from addon.store.queries.common import TOKEN_FIELDS
from addon.store.queries.exchange_list import ListSpec, order_by, where_sql

TTFT_WHERE = "ends_with(type, '.delta') AND NOT from_client"
COMPUTED: dict[str, str] = {
    **dict.fromkeys(TOKEN_FIELDS, "tokens"),
    "cost_usd": "cost",
    "response_status": "tokens",
    "ttft_ms": "ttft",
    "findings": "findings",
    "worst_severity": "findings",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TABLE_ONLY = ", ".join(name for name, _ in LIST_COLUMNS)


def parts_needed(*texts: str) -> set[str]:
    words = {w.lower() for text in texts for w in _WORD.findall(text)}
    return {COMPUTED[w] for w in words if w in COMPUTED}


def tokens_sql(with_cost: bool = True) -> str:
    sums = ", ".join(f"sum(r.{f}) AS {f}" for f in TOKEN_FIELDS)
    sums += ", arg_max(r.status, r.output_tokens IS NOT NULL) AS response_status"
    if not with_cost:
        return (
            f"SELECT r.exchange_id, {sums}, NULL::DOUBLE AS cost_usd FROM responses r "
            "GROUP BY r.exchange_id"
        )
    return f"""
        WITH resp AS (
            SELECT r.*, e.started_at, e.endpoint, e.host
            FROM responses r JOIN exchanges e USING (exchange_id)
        ),
        {priced_ctes("resp")}
        SELECT r.exchange_id, {sums},
               sum(CASE WHEN r.endpoint <> 'responses.input_tokens' THEN r.cost_usd END)
                   AS cost_usd
        FROM priced r
        GROUP BY r.exchange_id
    """


def view_sql(parts: set[str]) -> str:
    select = [f"e.* EXCLUDE ({_TABLE_ONLY})"]
    joins = []
    if parts & {"tokens", "cost"}:
        select.append(", ".join(f"t.{f}" for f in (*TOKEN_FIELDS, "cost_usd", "response_status")))
        joins.append(f"LEFT JOIN ({tokens_sql(with_cost='cost' in parts)}) t USING (exchange_id)")
    if "ttft" in parts:
        select.append("f1.ttft_ms")
        joins.append(
            "LEFT JOIN (SELECT exchange_id, min(t_ms) AS ttft_ms FROM events "
            f"WHERE {TTFT_WHERE} GROUP BY exchange_id) f1 USING (exchange_id)"
        )
    if "findings" in parts:
        select.append("coalesce(f2.findings, 0) AS findings, f2.worst_severity")
        joins.append(
            "LEFT JOIN (SELECT exchange_id, count(*) AS findings, CASE max(CASE severity "
            "WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END) WHEN 3 THEN 'error' "
            "WHEN 2 THEN 'warning' ELSE 'info' END AS worst_severity "
            "FROM findings GROUP BY exchange_id) f2 USING (exchange_id)"
        )
    return f"SELECT {', '.join(select)} FROM exchanges e {' '.join(joins)}"


def ids_sql(spec: ListSpec, offset: int, limit: int) -> str:
    """One page's ids, as the list fetched them (no grouping)."""
    view = view_sql(parts_needed(spec.where, spec.sort))
    return (
        f"SELECT exchange_id FROM ({view}) x {where_sql(spec)} "
        f"ORDER BY {order_by(spec)} LIMIT {int(limit)} OFFSET {int(offset)}"
    )


def count_sql(spec: ListSpec) -> str:
    return f"SELECT count(*) FROM ({view_sql(parts_needed(spec.where))}) x {where_sql(spec)}"
