"""SQL for totals: `respdeck usage` (and the TUI's usage screen), `respdeck check`, and the
demo's summary. Costs come from the usage view, so every total agrees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from .common import TOKEN_FIELDS, TOKEN_LABELS

USAGE_GROUPS = {
    "model": "coalesce(u.model, '(unknown)')",
    "day": "coalesce(CAST(CAST(timezone('UTC', u.started_at) AS DATE) AS VARCHAR), '(no time)')",
    "key": "coalesce(u.key_fingerprint, '(no key)')",
    "thread": "coalesce(t.thread_id, u.response_id, '(none)')",
}
# the columns `respdeck usage` sums, under their short names (input, cached, ...)
USAGE_SUMS = tuple(f for f in TOKEN_FIELDS if f != "total_tokens")


def _since_sql(since: date | None) -> str:
    # a literal, not a parameter: over a live server the query is sent whole, as text
    return f"timezone('UTC', u.started_at) >= DATE '{since.isoformat()}'" if since else "true"


def usage_sql(by: str, since: date | None = None) -> str:
    """The usage query, grouped by `by`, with a TOTAL row last."""
    group = USAGE_GROUPS[by]
    join = "LEFT JOIN threads t USING (response_id)" if by == "thread" else ""
    order = "1" if by == "day" else "cost_usd DESC NULLS LAST, 1"
    sums = ", ".join(f"sum(u.{f}) AS {TOKEN_LABELS[f]}" for f in USAGE_SUMS)
    return f"""
        SELECT {group} AS {by}, count(*) AS responses, {sums},
               -- summed as decimals: a sum of doubles depends on the order rows arrive in,
               -- and a team store's order is not a file's (0.0114415 shown as ...41 or ...42)
               round(sum(u.cost_usd::DECIMAL(38, 12)), 6)::DOUBLE AS cost_usd,
               count(*) FILTER (WHERE u.cost_usd IS NULL AND u.input_tokens IS NOT NULL)
                   AS unpriced
        FROM usage u {join} WHERE {_since_sql(since)}
        GROUP BY ROLLUP ({group})
        ORDER BY GROUPING({group}), {order}
    """


_UNPRICED = "u.cost_usd IS NULL AND u.input_tokens IS NOT NULL"
# A model (and its tier, when it is not the default one), as the unpriced line names it.
_UNPRICED_LABEL = (
    "coalesce(u.model, '(unknown)') || CASE WHEN coalesce(u.service_tier, 'default') "
    "IN ('default', 'auto') THEN '' ELSE ' (' || u.service_tier || ')' END"
)


def report_sql(by: str, since: date | None = None) -> str:
    """`usage_sql` and `unpriced_sql` in one pass over the usage view (`respdeck usage` runs
    both; over a million responses the view is most of the time): GROUPING SETS, each row's
    `level` saying which (1: a `by` group, 2: an unpriced label, 3: the total), unordered;
    `split_report` gives back the two results, in their order."""
    group = USAGE_GROUPS[by]
    join = "LEFT JOIN threads t USING (response_id)" if by == "thread" else ""
    sums = ", ".join(f"sum(u.{f}) AS {TOKEN_LABELS[f]}" for f in USAGE_SUMS)
    # only unpriced responses are named (the line counts the rest in its total): no label
    # is made for the others
    label = f"CASE WHEN {_UNPRICED} THEN {_UNPRICED_LABEL} END"
    return f"""
        SELECT GROUPING({group}, {label}) AS level, {group} AS {by},
               {label} AS label, count(*) AS responses, {sums},
               round(sum(u.cost_usd::DECIMAL(38, 12)), 6)::DOUBLE AS cost_usd,
               count(*) FILTER (WHERE {_UNPRICED}) AS unpriced,
               count(*) FILTER (WHERE u.input_tokens IS NOT NULL) AS with_tokens
        FROM usage u {join} WHERE {_since_sql(since)}
        GROUP BY GROUPING SETS (({group}), ({label}), ())
    """


def split_report(
    by: str, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[str], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """`report_sql`'s rows as (usage_sql's column names, its rows, unpriced_sql's rows with
    an unpriced response), in the order those queries give them (the total last in each)."""
    col = {name: i for i, name in enumerate(names)}
    shown = [by, "responses", *(TOKEN_LABELS[f] for f in USAGE_SUMS), "cost_usd", "unpriced"]
    level = [[r for r in rows if r[col["level"]] == n] for n in (1, 2, 3)]
    total = level[2][:1]
    groups = [tuple(r[col[c]] for c in shown) for r in level[0]]
    cost = shown.index("cost_usd")
    if by == "day":
        groups.sort(key=lambda r: r[0])
    else:
        groups.sort(key=lambda r: (r[cost] is None, -(r[cost] or 0), r[0]))
    usage = groups + [(None, *(r[col[c]] for c in shown[1:])) for r in total]
    labels = [
        (r[col["label"]], r[col["unpriced"]], r[col["with_tokens"]])
        for r in level[1]
        if r[col["label"]] is not None
    ]
    labels.sort(key=lambda r: (-r[1], r[0]))
    unpriced = labels + [(None, r[col["unpriced"]], r[col["with_tokens"]]) for r in total]
    return shown, usage, unpriced


def unpriced_sql(since: date | None = None) -> str:
    """Responses with tokens but no cost, by model (and tier, when it is not the default one),
    with a last row counting all responses with tokens."""
    label = _UNPRICED_LABEL
    return f"""
        SELECT {label} AS model, count(*) FILTER (WHERE u.cost_usd IS NULL) AS unpriced,
               count(*) AS responses
        FROM usage u WHERE u.input_tokens IS NOT NULL AND {_since_sql(since)}
        GROUP BY ROLLUP ({label})
        ORDER BY GROUPING({label}), unpriced DESC, 1
    """


def check_sql(examples: int = 3) -> str:
    """Findings by code and severity, worst first, with the ids (as text) of the first few
    exchanges each was found in, in time order."""
    return f"""
        WITH per AS (
            SELECT f.code, f.severity, f.exchange_id, count(*) AS n,
                   any_value(e.started_at) AS first_at, any_value(e.position) AS pos
            FROM findings f LEFT JOIN exchanges e USING (exchange_id) GROUP BY ALL
        )
        SELECT code, severity, sum(n)::BIGINT AS findings, count(*) AS exchanges,
               list_slice(list(exchange_id::VARCHAR ORDER BY first_at NULLS LAST, pos, exchange_id),
                          1, {int(examples)}) AS examples
        FROM per GROUP BY code, severity
        ORDER BY list_position(['error', 'warning', 'info'], severity), findings DESC, code
    """


def summary_sql() -> str:
    """One line per exchange in time order, with its tokens and cost from the usage view."""
    return """
        SELECT strftime(e.started_at, '%H:%M:%S') AS time, e.endpoint, e.model, e.status,
               u.input_tokens AS "in", u.cached_tokens AS cached, u.output_tokens AS out,
               u.reasoning_tokens AS reasoning, round(u.cost_usd, 6) AS cost_usd,
               round(e.ttfb_ms) AS ttfb_ms, round(e.duration_ms) AS ms,
               (SELECT count(*) FROM findings f WHERE f.exchange_id = e.exchange_id) AS findings
        FROM exchanges e LEFT JOIN usage u USING (exchange_id)
        ORDER BY e.started_at NULLS LAST, e.position, e.exchange_id
    """
