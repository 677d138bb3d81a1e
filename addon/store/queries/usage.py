"""SQL for totals: `respdeck usage` (and the TUI's usage screen), `respdeck check`, and the
demo's summary. Costs come from the usage view, so every total agrees."""

from __future__ import annotations

from datetime import date

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


def unpriced_sql(since: date | None = None) -> str:
    """Responses with tokens but no cost, by model (and tier, when it is not the default one),
    with a last row counting all responses with tokens."""
    label = (
        "coalesce(u.model, '(unknown)') || CASE WHEN coalesce(u.service_tier, 'default') "
        "IN ('default', 'auto') THEN '' ELSE ' (' || u.service_tier || ')' END"
    )
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
