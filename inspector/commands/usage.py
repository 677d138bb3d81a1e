"""`respdeck usage`: tokens and cost, by model, day, key or thread, with totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ._common import db_option, format_table, reading

GROUPS = {
    "model": "coalesce(u.model, '(unknown)')",
    "day": "coalesce(CAST(CAST(timezone('UTC', u.started_at) AS DATE) AS VARCHAR), '(no time)')",
    "key": "coalesce(u.key_fingerprint, '(no key)')",
    "thread": "coalesce(t.thread_id, u.response_id, '(none)')",
}


def _since_sql(since: date | None) -> str:
    # a literal, not a parameter: over a live server the query is sent whole, as text
    return f"timezone('UTC', u.started_at) >= DATE '{since.isoformat()}'" if since else "true"


def usage_sql(by: str, since: date | None) -> str:
    """The usage query, grouped by `by`, with a TOTAL row last."""
    join = "LEFT JOIN threads t USING (response_id)" if by == "thread" else ""
    where = f"WHERE {_since_sql(since)}"
    order = "1" if by == "day" else "cost_usd DESC NULLS LAST, 1"
    query = f"""
        SELECT {GROUPS[by]} AS {by}, count(*) AS responses,
               sum(u.input_tokens) AS input, sum(u.cached_tokens) AS cached,
               sum(u.output_tokens) AS output, sum(u.reasoning_tokens) AS reasoning,
               round(sum(u.cost_usd), 6) AS cost_usd,
               count(*) FILTER (WHERE u.cost_usd IS NULL AND u.input_tokens IS NOT NULL)
                   AS unpriced
        FROM usage u {join} {where}
        GROUP BY ROLLUP ({GROUPS[by]})
        ORDER BY GROUPING({GROUPS[by]}), {order}
    """
    return query


def unpriced_sql(since: date | None) -> str:
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


def unpriced_line(rows: list[tuple[str, int, int]]) -> str:
    """``(unpriced: 3 of 40 responses: gpt-x 2, gpt-y (flex) 1)``, the models worst first; in
    parentheses, like the row count above it, so that readers of the table skip it."""
    *models, (_, unpriced, responses) = rows or [(None, 0, 0)]
    named = ", ".join(f"{model} {n}" for model, n, _ in models if n)
    return f"(unpriced: {unpriced} of {responses} responses{': ' + named if named else ''})"


@click.command()
@click.option("--by", "by", type=click.Choice(sorted(GROUPS)), default="model", show_default=True)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only usage on or after this day (UTC), YYYY-MM-DD.",
)
@db_option
def usage(by: str, since: object, db: Path | None) -> None:
    """Tokens and cost (USD) by model, day, key or thread, with a total.

    Cost comes from genai-prices' bundled price list, or your $RESPDECK_PRICES file. It is
    NULL ("unpriced") for a model neither prices, or a service tier without a rate of its
    own then, never a guess; the last line counts those responses and names their models.
    """
    day = since.date() if since else None  # type: ignore[attr-defined]
    with reading(db) as reader:
        result = reader.execute(usage_sql(by, day))
        names = [d[0] for d in result.description or []]
        rows = [list(r) for r in result.fetchall()]
        unpriced = reader.fetchall(unpriced_sql(day))
    if rows:
        rows[-1][0] = "TOTAL"
    click.echo(format_table(names, [tuple(r) for r in rows]))
    click.echo(unpriced_line(unpriced))
